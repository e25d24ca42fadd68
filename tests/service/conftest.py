"""Service fixtures: an app over the tiny index with the fake encoder, entered so its lifespan runs."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from indexer.build.builder import BuildOptions, build_index
from service.app import create_app
from service.config import Settings
from tests.conftest import REPO, SEEDS
from tests.fakes import FakeEncoder

ADMIN_TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# Polls of /ready before a test gives up; the fake encoder loads an index in milliseconds.
READY_POLLS = 500
# Polls, 20 ms apart, before a test decides the follower did not swap in a new version.
FOLLOW_POLLS = 1000


def wait_ready(client: TestClient[Litestar]) -> dict[str, Any]:
    for _ in range(READY_POLLS):
        response = client.get("/ready")
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        time.sleep(0.01)
    raise AssertionError(f"the service never became ready: {response.json()}")


def served_version_after(client: TestClient[Litestar], old: str) -> str:
    """The index version /ready reports once it is no longer ``old``."""
    for _ in range(FOLLOW_POLLS):
        version = str(client.get("/ready").json()["index_version"])
        if version != old:
            return version
        time.sleep(0.02)
    raise AssertionError(f"still serving {old}")


def add_article(seeds: Path, name: str, text: str, index_dir: Path, encoder: FakeEncoder) -> str:
    """Write one more article and rebuild the index in place; returns the new version."""
    (seeds / name).write_text(text, encoding="utf-8")
    return build_index(seeds, index_dir, encoder, BuildOptions(chunk_tokens=32, overlap_tokens=8)).version


@contextlib.asynccontextmanager
async def concurrent_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """Requests that really overlap: the app runs in the test's own event loop, lifespan included.

    (Litestar's AsyncTestClient runs each request to completion in a portal thread, one at a time.)
    """
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


ClientFactory = Callable[..., TestClient[Litestar]]


@pytest.fixture(scope="session")
def session_real_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed articles indexed once per test run by ``polysearch index`` with the packaged model.

    Tests only read it; one that changes an index copies it first.
    """
    out = tmp_path_factory.mktemp("real") / "index"
    subprocess.run(
        [sys.executable, "-m", "indexer.commands", "index", "--seeds", str(SEEDS), "--out", str(out), "--quiet"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture
def settings(tiny_index: Path) -> Settings:
    # The follower polls rarely here, so a test's own /admin/reload is what swaps the index.
    return Settings(index_dir=tiny_index, admin_token=ADMIN_TOKEN, compute_threads=2, follow_interval_ms=60_000)


@pytest.fixture
def make_client(settings: Settings, fake_encoder: FakeEncoder) -> Iterator[ClientFactory]:
    """``make_client(**setting_changes, ready=True, **create_app_kwargs)``; closed after the test."""
    opened: list[TestClient[Litestar]] = []

    def make(*, ready: bool = True, app_kwargs: dict[str, Any] | None = None, **changes: Any) -> TestClient[Litestar]:
        kwargs: dict[str, Any] = {"encoder": fake_encoder, **(app_kwargs or {})}
        client = TestClient(create_app(settings.replace(**changes), **kwargs), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        if ready:
            wait_ready(client)
        return client

    yield make
    for client in reversed(opened):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient[Litestar]:
    return make_client()
