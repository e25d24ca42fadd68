"""Admission control: a full compute path refuses at once, late work is dropped, departed clients cost nothing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from indexer.encoder import Vectors
from service.app import create_app
from service.config import Settings
from tests.fakes import FakeEncoder
from tests.service.conftest import concurrent_client


class GateEncoder(FakeEncoder):
    """The fake encoder, but a query containing ``hold`` blocks until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.holding = threading.Event()
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        self.seen.extend(texts)
        if any("hold" in text for text in texts):
            self.holding.set()
            self.gate.wait(timeout=30)
        return super().encode(texts, batch_size=batch_size, show_progress=show_progress)


async def _wait_ready(client: httpx.AsyncClient) -> None:
    for _ in range(500):
        if (await client.get("/ready")).status_code == 200:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never ready")


async def _until(event: threading.Event) -> None:
    for _ in range(3000):
        if event.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the encoder was never reached")


def _app(tiny_index: Path, encoder: FakeEncoder, **changes: Any) -> Any:
    settings = Settings(index_dir=tiny_index, compute_threads=1, **changes)
    return create_app(settings, encoder=encoder)


def test_beyond_capacity_is_refused_at_once_with_retry_after(tiny_index: Path) -> None:
    encoder = GateEncoder()

    async def scenario() -> None:
        async with concurrent_client(_app(tiny_index, encoder, max_queue=2)) as client:
            await _wait_ready(client)
            running = asyncio.ensure_future(client.get("/search", params={"q": "hold office", "mode": "dense"}))
            await _until(encoder.holding)
            queued = asyncio.ensure_future(client.get("/ask", params={"q": "summit"}))
            await asyncio.sleep(0.05)  # let it take the second slot
            refused = await client.get("/search", params={"q": "shanghai"})
            health = await client.get("/health")
            encoder.gate.set()
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert refused.json()["error"] == "overloaded"
            assert health.status_code == 200
            assert (await running).status_code == 200
            assert (await queued).status_code == 200
            # The slots are free again once the load is gone.
            assert (await client.get("/search", params={"q": "shanghai"})).status_code == 200
            metrics = (await client.get("/metrics")).text
            assert "polysearch_compute_requests_rejected_total 1" in metrics
            assert "polysearch_compute_requests_in_progress 0" in metrics

    asyncio.run(scenario())
    assert not any("shanghai" in text for text in encoder.seen[:-1])


def test_work_queued_past_its_deadline_is_dropped_unstarted(tiny_index: Path) -> None:
    encoder = GateEncoder()

    async def scenario() -> None:
        async with concurrent_client(_app(tiny_index, encoder, queue_deadline_ms=20)) as client:
            await _wait_ready(client)
            running = asyncio.ensure_future(client.get("/search", params={"q": "hold office", "mode": "dense"}))
            await _until(encoder.holding)
            late = asyncio.ensure_future(client.get("/search", params={"q": "delegation", "mode": "dense"}))
            await asyncio.sleep(0.2)  # well past the 20 ms deadline while the encoder is busy
            encoder.gate.set()
            assert (await late).status_code == 503
            assert (await late).json()["error"] == "overloaded"
            # The running request started before its deadline: its later steps are not dropped.
            assert (await running).status_code == 200

    asyncio.run(scenario())
    assert not any("delegation" in text for text in encoder.seen)


def test_a_departed_clients_queued_work_is_never_computed(tiny_index: Path) -> None:
    encoder = GateEncoder()
    app = _app(tiny_index, encoder)
    sent: list[dict[str, Any]] = []

    async def scenario() -> None:
        async with concurrent_client(app) as client:
            await _wait_ready(client)
            running = asyncio.ensure_future(client.get("/search", params={"q": "hold office", "mode": "dense"}))
            await _until(encoder.holding)
            gone = asyncio.Event()

            async def receive() -> dict[str, Any]:
                if not gone.is_set():
                    gone.set()
                    return {"type": "http.request", "body": b"", "more_body": False}
                await asyncio.sleep(0.05)  # the client hangs up while its query is queued
                return {"type": "http.disconnect"}

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)

            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": "/search",
                "raw_path": b"/search",
                "root_path": "",
                "query_string": b"q=delegation&mode=dense",
                "headers": [(b"host", b"testserver")],
                "client": ("127.0.0.1", 5000),
                "server": ("testserver", 80),
                "state": {},
            }
            await app(scope, receive, send)
            encoder.gate.set()
            assert (await running).status_code == 200
            metrics = (await client.get("/metrics")).text
            assert 'route="/search",status="499"' in metrics

    asyncio.run(scenario())
    assert sent == []
    assert not any("delegation" in text for text in encoder.seen)
