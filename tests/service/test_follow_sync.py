"""A running service serves what ``polysearch sync`` writes, with no reload call (issues 11 and 14)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import FakeEncoder
from tests.indexer.build.test_sync import sync
from tests.indexer.sources.site_server import SITE, Site, SiteServer
from tests.service.conftest import ClientFactory, served_version_after


@pytest.fixture
def site() -> Iterator[Site]:
    with SiteServer() as served:
        yield served


def test_a_synced_edit_is_served_without_a_reload_call(
    make_client: ClientFactory, site: Site, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    # Not tmp_path/"index": the service fixtures build their tiny index there, and a sync into it
    # would keep those articles (they are adopted, not replaced).
    out = tmp_path / "synced"
    sync(site, out, fake_encoder, site.page("/sitemap.xml"))
    client = make_client(index_dir=out, follow_interval_ms=20)
    old = client.get("/ready").json()["index_version"]
    hits = client.get("/search", params={"q": "partner agreements", "k": 3}).json()["hits"]
    assert hits and all(hit["url"].startswith(site.base) for hit in hits)

    html = (SITE / "en-office.html").read_text(encoding="utf-8")
    site.set_page("/news/office/", html.replace("three new partner agreements", "four new partner agreements"))
    report = sync(site, out, fake_encoder, site.page("/sitemap.xml"))
    assert report.build is not None and report.build.written

    assert served_version_after(client, old) == report.build.version
    office = client.get("/search", params={"q": "four new partner agreements", "k": 1}).json()["hits"][0]
    assert "four new partner agreements" in office["text"] and office["url"] == site.page("/news/office/")
