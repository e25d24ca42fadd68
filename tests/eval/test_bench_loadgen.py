"""The load generator and its HTTP client, against a tiny loopback server written here."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from eval.bench.loadgen import run_load
from eval.harness.http import Connection, HttpError

Reply = Callable[[str], bytes]


def _plain(status: int, body: bytes) -> bytes:
    return f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def _chunked(body: bytes) -> bytes:
    half = len(body) // 2
    chunks = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:half], body[half:]) if part)
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"


async def _serve(reply: Reply, seen: list[str], run: Callable[[str], Awaitable[None]]) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ")[1].decode()
                query = parse_qs(urlsplit(target).query).get("q", [""])[0]
                seen.append(query)
                writer.write(reply(query))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        await run(f"http://127.0.0.1:{port}")


def test_the_client_reads_plain_and_chunked_bodies_on_one_connection() -> None:
    seen: list[str] = []
    got: list[tuple[int, bytes]] = []

    def reply(query: str) -> bytes:
        return _chunked(f"chunked {query}".encode()) if query == "b" else _plain(200, f"plain {query}".encode())

    async def run(url: str) -> None:
        connection = Connection(url)
        for query in ("a", "b", "c"):
            got.append(await connection.get("/search", {"q": query}))
        await connection.close()

    asyncio.run(_serve(reply, seen, run))
    assert got == [(200, b"plain a"), (200, b"chunked b"), (200, b"plain c")]
    assert seen == ["a", "b", "c"]


def test_each_query_is_sent_once_and_errors_are_counted() -> None:
    seen: list[str] = []
    queries = [f"query {i}" for i in range(40)]

    def reply(query: str) -> bytes:
        return _plain(500, b'{"error":"boom"}') if query.endswith("7") else _plain(200, b"{}")

    async def run(url: str) -> None:
        # Bounded by the queries, not the clock: the run ends when they are used up.
        result = await run_load(url, "/search", queries, concurrency=4, duration_s=600.0)
        assert result.exhausted
        assert result.requests == len(queries) - 4  # the first query of each client warms its connection
        assert result.errors == sum(q.endswith("7") for q in queries[4:])
        assert len(result.latencies_s) == result.requests
        assert result.error_samples and result.error_samples[0].startswith("HTTP 500")

    asyncio.run(_serve(reply, seen, run))
    assert sorted(seen) == sorted(queries)  # every query once: nothing a cache could reuse


def test_a_refused_connection_is_an_http_error() -> None:
    async def run() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        with pytest.raises(HttpError):
            await Connection(f"http://127.0.0.1:{port}").get("/ready")

    asyncio.run(run())


def test_overload_replies_are_counted_apart_and_only_fail_the_bench_up_to_16_clients() -> None:
    from eval.bench.load import LoadLevel
    from eval.bench.run import BenchResult, targets
    from eval.bench.stats import Latency

    seen: list[str] = []
    queries = [f"query {i}" for i in range(24)]

    def reply(query: str) -> bytes:
        if query.endswith("3"):
            return _plain(503, b'{"error": "overloaded", "detail": "the service is at capacity"}')
        return _plain(503, b'{"error": "not_ready"}') if query.endswith("5") else _plain(200, b"{}")

    async def run(url: str) -> None:
        result = await run_load(url, "/search", queries, concurrency=2, duration_s=600.0)
        sent = queries[2:]
        assert result.errors == sum(q.endswith(("3", "5")) for q in sent)
        # Only the service's "at capacity" replies are overload; any other 503 is a failure.
        assert result.overloaded == sum(q.endswith("3") for q in sent) > 0

    asyncio.run(_serve(reply, seen, run))

    def level(clients: int, errors: int, overloaded: int) -> LoadLevel:
        latency = Latency(10, 1.0, 1.0, 1.0, 1.0)
        return LoadLevel(clients, 100, errors, 50.0 * min(clients, 3), latency, (), False, overloaded)

    def found(load: list[LoadLevel]) -> dict[str, float | None]:
        result = BenchResult(machine={}, plan="quick", index={}, started_at="", load={"search": load})
        return {t.name: t.value for t in targets(result)}

    calm = found([level(1, 0, 0), level(16, 0, 0), level(64, 40, 40)])
    assert calm["errors up to 16 clients"] == 0 and calm["errors past 16 clients, 503 at capacity aside"] == 0
    assert calm["req/s at 16 clients / at 1"] == 3.0
    shed_early = found([level(1, 0, 0), level(16, 5, 5), level(64, 41, 40)])
    assert (
        shed_early["errors up to 16 clients"] == 5 and shed_early["errors past 16 clients, 503 at capacity aside"] == 1
    )
