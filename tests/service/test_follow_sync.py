"""A running service serves what ``polysearch sync`` writes, with no reload call (issues 11 and 14)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.fakes import FakeEncoder
from tests.indexer.sources.site_server import SITE, Site, SiteServer
from tests.indexer.test_sync import sync
from tests.service.conftest import ClientFactory

# Polls, 20 ms apart, before the test decides the service did not follow.
FOLLOW_POLLS = 1000


@pytest.fixture
def site() -> Iterator[Site]:
    with SiteServer() as served:
        yield served


def _served_version_after(client: TestClient[Litestar], old: str) -> str:
    for _ in range(FOLLOW_POLLS):
        version = str(client.get("/ready").json()["index_version"])
        if version != old:
            return version
        time.sleep(0.02)
    raise AssertionError(f"still serving {old}")


def test_a_synced_edit_is_served_without_a_reload_call(
    make_client: ClientFactory, site: Site, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    out = tmp_path / "index"
    sync(site, out, fake_encoder, site.page("/sitemap.xml"))
    client = make_client(index_dir=out, follow_interval_ms=20)
    old = client.get("/ready").json()["index_version"]
    hits = client.get("/search", params={"q": "partner agreements", "k": 3}).json()["hits"]
    assert hits and all(hit["url"].startswith(site.base) for hit in hits)

    html = (SITE / "en-office.html").read_text(encoding="utf-8")
    site.set_page("/news/office/", html.replace("three new partner agreements", "four new partner agreements"))
    report = sync(site, out, fake_encoder, site.page("/sitemap.xml"))
    assert report.build is not None and report.build.written

    assert _served_version_after(client, old) == report.build.version
    office = client.get("/search", params={"q": "four new partner agreements", "k": 1}).json()["hits"][0]
    assert "four new partner agreements" in office["text"] and office["url"] == site.page("/news/office/")
