"""A sitemap on one host name listing pages on ``www.`` of it, or on a host ``--allow-host`` adds.

Every request goes to the loopback fixture site, under the host name it was made for (the
``Host`` header), so the names need no DNS and nothing leaves 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from indexer.build.builder import BuildOptions
from indexer.build.sync import SyncReport, sync_once
from indexer.sources.fetching import PoliteFetcher, site_of
from indexer.sources.resolve import parse_source
from indexer.store.reader import load_index
from tests.fakes import FakeEncoder
from tests.indexer.sources.site_server import FakeClock, Route, Site, SiteServer

OPTIONS = BuildOptions(chunk_tokens=64, overlap_tokens=8)


class Loopback(httpx.BaseTransport):
    """Send every request to the fixture site's port on 127.0.0.1, keeping its Host header."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return self.inner.handle_request(httpx.Request(request.method, url, headers=request.headers))

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def site() -> Iterator[Site]:
    with SiteServer() as served:
        yield served


def named(site: Site, host: str, path: str) -> str:
    return f"http://{host}:{urlsplit(site.base).port}{path}"


def list_on(site: Site, pages: list[str]) -> None:
    items = "".join(f"<url><loc>{page}</loc></url>" for page in pages)
    site.routes["/sitemap-news.xml"] = Route(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'.encode(), "application/xml"
    )


def sync(site: Site, out: Path, *extra_hosts: str) -> SyncReport:
    port = urlsplit(site.base).port
    assert port is not None
    clock = FakeClock()
    source = named(site, "example.edu", "/sitemap-news.xml")
    fetcher = PoliteFetcher.for_hosts(
        [f"example.edu:{port}", *extra_hosts], clock=clock, sleep=clock.sleep, transport=Loopback(port)
    )
    try:
        return sync_once([parse_source(source)], out, FakeEncoder(), OPTIONS, fetcher=fetcher)
    finally:
        fetcher.close()


def asked(site: Site) -> list[tuple[str, str]]:
    """(host without port, path) of every request the site answered."""
    with site.lock:
        return [(headers["host"].rsplit(":", 1)[0], path) for path, headers in site.log]


def test_www_and_the_bare_host_are_one_site(site: Site, tmp_path: Path) -> None:
    list_on(
        site,
        [
            named(site, "www.example.edu", "/news/office/"),
            named(site, "example.edu", "/news/summit/"),
            named(site, "www.example.edu", "/private/secret/"),
            named(site, "other.example", "/news/lab/"),
        ],
    )
    report = sync(site, tmp_path)
    assert report.ok
    urls = {a.url for a in load_index(tmp_path).articles.values()}
    assert urls == {named(site, "www.example.edu", "/news/office/"), named(site, "example.edu", "/news/summit/")}
    requests = asked(site)
    # robots.txt is read for each host name before any page there, and its Disallow holds on www. too.
    assert requests.index(("www.example.edu", "/robots.txt")) < requests.index(("www.example.edu", "/news/office/"))
    assert ("example.edu", "/robots.txt") in requests
    assert ("www.example.edu", "/private/secret/") not in requests
    assert not any(host == "other.example" for host, _ in requests)


def test_allow_host_adds_another_site(site: Site, tmp_path: Path) -> None:
    port = urlsplit(site.base).port
    list_on(site, [named(site, "example.edu", "/news/summit/"), named(site, "other.example", "/news/lab/")])
    sync(site, tmp_path, f"other.example:{port}")
    urls = {a.url for a in load_index(tmp_path).articles.values()}
    assert named(site, "other.example", "/news/lab/") in urls
    assert ("other.example", "/robots.txt") in asked(site)


def test_site_of() -> None:
    assert site_of("WWW.Example.edu") == site_of("example.edu") == "example.edu"
    assert site_of("www.example.edu:8080") == "example.edu:8080"
    assert site_of("news.example.edu") != site_of("example.edu")
    assert site_of("www2.example.edu") == "www2.example.edu"
