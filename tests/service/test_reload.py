"""Readiness, and /admin/reload: auth, atomic swap, in-flight requests, failures that keep the old index."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import TestClient

from indexer.encoders.base import Encoder, Vectors
from indexer.store.layout import live_version_dir
from service.app import create_app
from service.compute import ComputePool, PooledQueryEncoder, QueryEncoder
from service.config import Settings
from tests.fakes import FakeEncoder
from tests.service.conftest import ADMIN_TOKEN, AUTH, READY_POLLS, ClientFactory, add_article, concurrent_client

# Overlapping queries per wave, and a bound on all of them, for the reload-under-load test.
WAVE = 8
MAX_QUERIES = 4000
NEW_ARTICLE = (
    "Robotics lab opens\n\n2 February 2024 Science 3\n\n"
    "The new robotics laboratory opened its doors to students. Quadruped robots were demonstrated."
)


def test_reload_requires_the_admin_token(client: TestClient[Litestar]) -> None:
    missing = client.post("/admin/reload")
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    assert missing.headers["www-authenticate"] == "Bearer"
    for header in ("Bearer wrong-token-wrong-token", f"Basic {ADMIN_TOKEN}", f"Bearer {ADMIN_TOKEN}x", "Bearer"):
        response = client.post("/admin/reload", headers={"Authorization": header})
        assert response.status_code in (401, 403), header
    assert client.post("/admin/reload", headers={"Authorization": "Bearer nope"}).status_code == 403
    assert client.post("/admin/reload", headers=AUTH).status_code == 200


def test_reload_is_disabled_without_a_token(make_client: ClientFactory) -> None:
    client = make_client(admin_token=None)
    for headers in ({}, AUTH, {"Authorization": "Bearer "}):
        response = client.post("/admin/reload", headers=headers)
        assert response.status_code == 403 and "POLYSEARCH_ADMIN_TOKEN" in response.json()["detail"]


def test_reload_with_nothing_new_keeps_the_engine(client: TestClient[Litestar]) -> None:
    before = client.get("/ready").json()["index_version"]
    body = client.post("/admin/reload", headers=AUTH).json()
    assert body["reloaded"] is False and body["index_version"] == body["previous_version"] == before


def test_reload_swaps_in_a_rebuilt_index(
    client: TestClient[Litestar], tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder
) -> None:
    old = client.get("/ready").json()["index_version"]
    assert client.get("/articles/d_robots").status_code == 404
    new = add_article(tiny_seeds, "d_robots.txt", NEW_ARTICLE, tiny_index, fake_encoder)
    assert new != old
    # Built but not reloaded: the service keeps answering from the index it verified.
    assert client.get("/search", params={"q": "robots"}).json()["index_version"] == old
    body = client.post("/admin/reload", headers=AUTH).json()
    assert (body["reloaded"], body["index_version"], body["previous_version"]) == (True, new, old)
    assert client.get("/ready").json()["index_version"] == new
    assert client.get("/articles/d_robots").status_code == 200
    hits = client.get("/search", params={"q": "quadruped robots"}).json()["hits"]
    assert hits[0]["article_id"] == "d_robots"
    assert 'polysearch_index_reloads_total{outcome="ok"} 1' in client.get("/metrics").text


def test_a_failed_reload_keeps_the_old_index_and_says_why(
    client: TestClient[Litestar], tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder
) -> None:
    old = client.get("/ready").json()["index_version"]
    add_article(tiny_seeds, "d_robots.txt", NEW_ARTICLE, tiny_index, fake_encoder)
    passages = live_version_dir(tiny_index) / "passages.npy"
    passages.write_bytes(passages.read_bytes()[:-20])  # truncated, as by a full disk
    response = client.post("/admin/reload", headers=AUTH)
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "reload_failed"
    assert "passages.npy" in body["detail"] and old in body["detail"]
    assert client.get("/ready").json()["index_version"] == old
    search = client.get("/search", params={"q": "Gao Jun"})
    assert search.status_code == 200 and search.json()["index_version"] == old
    assert 'polysearch_index_reloads_total{outcome="failed"} 1' in client.get("/metrics").text


def test_a_reload_to_an_index_of_another_model_is_refused(
    client: TestClient[Litestar], tiny_seeds: Path, tiny_index: Path
) -> None:
    old = client.get("/ready").json()["index_version"]
    add_article(tiny_seeds, "d_robots.txt", NEW_ARTICLE, tiny_index, FakeEncoder(dimension=32))
    response = client.post("/admin/reload", headers=AUTH)
    assert response.status_code == 409 and "dimensions" in response.json()["detail"]
    assert client.get("/search", params={"q": "office"}).json()["index_version"] == old


def test_a_missing_index_is_not_ready_until_one_is_built_and_reloaded(
    make_client: ClientFactory, tmp_path: Path, tiny_seeds: Path, fake_encoder: FakeEncoder
) -> None:
    index_dir = tmp_path / "later"
    client = make_client(ready=False, index_dir=index_dir)
    for _ in range(READY_POLLS):
        ready = client.get("/ready")
        if "no index" in (ready.json()["detail"] or ""):
            break
    assert ready.status_code == 503 and "no index" in ready.json()["detail"]
    assert client.get("/health").status_code == 200
    search = client.get("/search", params={"q": "office"})
    assert search.status_code == 503 and search.json()["error"] == "not_ready"
    assert search.headers["retry-after"]
    assert client.get("/articles/a_shanghai").status_code == 503
    version = add_article(tiny_seeds, "d_robots.txt", NEW_ARTICLE, index_dir, fake_encoder)
    reloaded = client.post("/admin/reload", headers=AUTH).json()
    assert reloaded["index_version"] == version and reloaded["previous_version"] is None
    assert client.get("/ready").status_code == 200


class GatedEncoder(FakeEncoder):
    """Blocks the first ``encode`` call (the index's load-time model probe) until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def encode(self, texts: Any, *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        self.release.wait(timeout=60)
        return super().encode(texts, batch_size=batch_size, show_progress=show_progress)


def test_ready_is_503_while_the_index_loads(settings: Settings) -> None:
    encoder = GatedEncoder()
    with TestClient(create_app(settings, encoder=encoder)) as client:
        loading = client.get("/ready")
        assert loading.status_code == 503 and loading.json()["ready"] is False
        assert client.get("/health").status_code == 200
        assert client.get("/search", params={"q": "office"}).status_code == 503
        encoder.release.set()
        for _ in range(READY_POLLS):
            if client.get("/ready").status_code == 200:
                break
        assert client.get("/ready").status_code == 200
        assert client.get("/search", params={"q": "office"}).status_code == 200


class HeldQueries:
    """A query encoder factory whose encoders park the query ``hold me`` until released."""

    def __init__(self) -> None:
        self.parked = asyncio.Event()
        self.release = asyncio.Event()

    def __call__(self, encoder: Encoder, pool: ComputePool) -> QueryEncoder:
        inner = PooledQueryEncoder(encoder, pool)
        outer = self

        class Held:
            async def encode(self, text: str) -> Vectors:
                if text == "hold me":
                    outer.parked.set()
                    await outer.release.wait()
                return await inner.encode(text)

            async def aclose(self) -> None:
                await inner.aclose()

        return Held()


async def _wait_ready(client: httpx.AsyncClient) -> str:
    for _ in range(READY_POLLS):
        response = await client.get("/ready")
        if response.status_code == 200:
            return str(response.json()["index_version"])
        await asyncio.sleep(0.01)
    raise AssertionError("never ready")


def test_in_flight_requests_finish_on_the_index_they_started_with(
    settings: Settings, tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder
) -> None:
    def rebuild() -> str:
        return add_article(tiny_seeds, "d_robots.txt", NEW_ARTICLE, tiny_index, fake_encoder)

    async def scenario() -> None:
        held = HeldQueries()
        app = create_app(settings, encoder=fake_encoder, query_encoder_factory=held)
        async with concurrent_client(app) as client:
            old = await _wait_ready(client)
            in_flight = asyncio.create_task(client.get("/search", params={"q": "hold me", "k": 50}))
            await held.parked.wait()
            new = await asyncio.to_thread(
                add_article, tiny_seeds, "d_robots.txt", NEW_ARTICLE, tiny_index, fake_encoder
            )
            reload = await client.post("/admin/reload", headers=AUTH)
            assert reload.json()["index_version"] == new
            after = (await client.get("/search", params={"q": "robots", "k": 50})).json()
            held.release.set()
            before = (await in_flight).json()
            assert before["index_version"] == old
            assert "d_robots" not in {hit["article_id"] for hit in before["hits"]}
            assert after["index_version"] == new
            assert "d_robots" in {hit["article_id"] for hit in after["hits"]}

    asyncio.run(scenario())


def test_reload_under_concurrent_queries_fails_no_request(
    settings: Settings, tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder
) -> None:
    def rebuild() -> str:
        return add_article(tiny_seeds, "d_robots.txt", NEW_ARTICLE, tiny_index, fake_encoder)

    async def scenario() -> None:
        async with concurrent_client(create_app(settings, encoder=fake_encoder)) as client:
            old = await _wait_ready(client)
            new = await asyncio.to_thread(rebuild)

            async def query(i: int) -> tuple[int, str | None]:
                if i % 2:
                    response = await client.get("/search", params={"q": f"university office {i}", "k": 5})
                else:
                    response = await client.post("/ask", json={"question": f"Who led the delegation {i}?"})
                return response.status_code, response.json().get("index_version")

            reload = asyncio.create_task(client.post("/admin/reload", headers=AUTH))
            results: list[tuple[int, str | None]] = []
            # Waves of overlapping queries for as long as the reload is loading and swapping.
            while not reload.done() and len(results) < MAX_QUERIES:
                results += await asyncio.gather(*(query(len(results) + i) for i in range(WAVE)))
            assert (await reload).json()["index_version"] == new
            after = await asyncio.gather(*(query(i) for i in range(WAVE)))
            assert [status for status, _ in results + after] == [200] * (len(results) + WAVE)
            assert old in {version for _, version in results}  # queries ran while the new index loaded
            assert {version for _, version in results} <= {old, new}
            assert {version for _, version in after} == {new}

    asyncio.run(scenario())
