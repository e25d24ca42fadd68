"""A replica over dense shards answers as one app does, follows new versions, and names itself.

The shards here are the real ``DenseShardDeployment`` class, called in-process through a
stand-in for Serve's handle (``.method.remote(...).result()``), so these run without Ray;
the cluster test runs the same classes as Serve deployments.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from indexer.build.builder import BuildOptions, build_index
from indexer.engines.ray_serve import DenseShardDeployment, Replica
from service.app import create_app
from service.config import Settings
from service.ray_app import REPLICA_HEADER, replica_app
from tests.fakes import FakeEncoder

QUERIES = ("office in Shanghai", "summit of universities", "delegation Jiangsu internships", "robots")
NEW_ARTICLE = (
    "Robotics lab opens\n\n2 February 2024 Science 3\n\n"
    "The new robotics laboratory opened its doors to students. Quadruped robots were demonstrated."
)
POLLS = 500


class _Answer:
    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self, *, timeout_s: float | None = None) -> Any:
        return self.value


class _Method:
    def __init__(self, method: Callable[..., Any], calls: list[str]) -> None:
        self.method = method
        self.calls = calls

    def remote(self, *args: Any) -> _Answer:
        self.calls.append(self.method.__name__)
        return _Answer(self.method(*args))


class FakeHandle:
    """Serve's handle calling convention over a shard object in this process."""

    def __init__(self, shard: DenseShardDeployment) -> None:
        self.shard = shard
        self.calls: list[str] = []
        self.prepare = _Method(shard.prepare, self.calls)
        self.search = _Method(shard.search, self.calls)


def _ready(client: TestClient[Litestar]) -> None:
    for _ in range(POLLS):
        if client.get("/ready").status_code == 200:
            return
        time.sleep(0.02)
    raise AssertionError(client.get("/ready").text)


def _hits(client: TestClient[Litestar], query: str, mode: str) -> tuple[str, list[tuple[str, float]]]:
    body = client.get("/search", params={"q": query, "mode": mode, "k": 10}).json()
    return body["index_version"], [(h["passage_id"], h["score"]) for h in body["hits"]]


@pytest.fixture
def clients(tiny_index: Path) -> Iterator[tuple[TestClient[Litestar], TestClient[Litestar], list[FakeHandle]]]:
    settings = Settings(index_dir=tiny_index, follow_interval_ms=20)
    handles = [FakeHandle(DenseShardDeployment(str(tiny_index), number, 2)) for number in range(2)]
    sharded = replica_app(settings, Replica(name="replica-a", shards=tuple(handles)), FakeEncoder)
    single = create_app(settings, encoder=FakeEncoder())
    with TestClient(sharded) as a, TestClient(single) as b:
        _ready(a)
        _ready(b)
        yield a, b, handles


def test_two_shards_serve_the_single_index_results(
    clients: tuple[TestClient[Litestar], TestClient[Litestar], list[FakeHandle]],
) -> None:
    sharded, single, handles = clients
    for handle in handles:
        handle.calls.clear()
    for query in QUERIES:
        for mode in ("dense", "hybrid"):
            assert _hits(sharded, query, mode) == _hits(single, query, mode)
    # The dense candidates came from both shards, not from a local index.
    assert all("search" in handle.calls for handle in handles)


def test_shards_follow_a_new_version_with_the_replica(
    clients: tuple[TestClient[Litestar], TestClient[Litestar], list[FakeHandle]],
    tiny_seeds: Path,
    tiny_index: Path,
) -> None:
    sharded, single, handles = clients
    old = sharded.get("/ready").json()["index_version"]
    (tiny_seeds / "d_robots.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    new = build_index(tiny_seeds, tiny_index, FakeEncoder(), BuildOptions(chunk_tokens=32, overlap_tokens=8)).version
    assert new != old
    for _ in range(POLLS):
        if {sharded.get("/ready").json()["index_version"], single.get("/ready").json()["index_version"]} == {new}:
            break
        time.sleep(0.02)
    # Each shard holds the new version (and keeps the old one for requests still on it).
    assert all(handle.shard.versions()[-1] == new for handle in handles)
    for query in QUERIES:
        assert _hits(sharded, query, "hybrid") == _hits(single, query, "hybrid")
        assert _hits(sharded, query, "hybrid")[0] == new


def test_every_response_and_metrics_sample_names_the_replica(
    clients: tuple[TestClient[Litestar], TestClient[Litestar], list[FakeHandle]],
) -> None:
    sharded, _, _ = clients
    for path in ("/ready", "/health", "/search?q=Shanghai", "/no-such-page"):
        assert sharded.get(path).headers[REPLICA_HEADER] == "replica-a"
    samples = [line for line in sharded.get("/metrics").text.splitlines() if line and not line.startswith("#")]
    assert samples and all('replica="replica-a"' in line for line in samples)
    searched = [s for s in samples if s.startswith('polysearch_http_requests_total{method="GET",route="/search"')]
    labels = 'method="GET",route="/search",status="200",replica="replica-a"'
    assert searched == [f"polysearch_http_requests_total{{{labels}}} 1"]


def test_a_shard_loads_a_version_it_was_not_told_about(tiny_index: Path) -> None:
    """A restarted shard holds only the live version; a replica's older one is loaded on demand."""
    from indexer.engines.ray_serve import version_key
    from indexer.store.reader import load_index

    key = version_key(load_index(tiny_index))
    shard = DenseShardDeployment(str(tiny_index), 1, 2)
    shard._loaded.clear()
    assert shard.prepare(*key)[1] == len(load_index(tiny_index).passages)
    assert shard.versions() == [load_index(tiny_index).version]


def test_shards_without_the_ray_engine_is_a_one_line_error(
    tiny_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from indexer.commands.main import main

    assert main(["serve", "--index", str(tiny_index), "--shards", "2"]) == 2
    assert "--engine ray" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--index", str(tiny_index), "--engine", "ray", "--shards", "2", "--shard-cpus", "-1"])
    assert exited.value.code == 2
