"""Polite fetching against the loopback site: robots, crawl delay, back-off, validators, hosts."""

from __future__ import annotations

import itertools

import pytest

from indexer.errors import FetchError
from indexer.sources.fetching import PoliteFetcher, RobotsDisallowed, retry_after_seconds
from tests.indexer.sources.site_server import FakeClock, Site


def test_robots_disallowed_path_is_never_requested(site: Site, fetcher: PoliteFetcher) -> None:
    with pytest.raises(RobotsDisallowed):
        fetcher.get(site.page("/private/secret/"))
    assert "/private/secret/" not in site.paths()
    assert site.paths() == ["/robots.txt"]


def test_requests_to_a_host_are_spaced_by_the_crawl_delay(site: Site, fetcher: PoliteFetcher) -> None:
    for path in ("/news/office/", "/news/summit/", "/news/lab/"):
        assert fetcher.get(site.page(path)).status == 200
    times = [t for t, _ in fetcher.history]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # robots.txt first (default delay 1 s), then its Crawl-delay of 2 s between pages.
    assert gaps[0] >= 1.0 and all(gap >= 2.0 for gap in gaps[1:]), gaps


def test_user_agent_names_polysearch(site: Site, fetcher: PoliteFetcher) -> None:
    fetcher.get(site.page("/news/office/"))
    assert all("polysearch" in headers["user-agent"] for _, headers in site.log)


def test_429_is_retried_after_retry_after(site: Site, fetcher: PoliteFetcher, clock: FakeClock) -> None:
    site.throttle["/news/office/"] = 1
    fetched = fetcher.get(site.page("/news/office/"))
    assert fetched.status == 200
    assert site.paths().count("/news/office/") == 2
    times = [t for t, url in fetcher.history if url.endswith("/news/office/")]
    assert times[1] - times[0] >= 5.0


def test_back_off_gives_up_when_asked_to_wait_too_long(site: Site, clock: FakeClock) -> None:
    host = site.base.split("//", 1)[1]
    impatient = PoliteFetcher.for_hosts([host], clock=clock, sleep=clock.sleep, max_retry_after=3.0)
    site.throttle["/news/office/"] = 1
    with pytest.raises(FetchError, match="429"):
        impatient.get(site.page("/news/office/"))


def test_etag_gives_304(site: Site, fetcher: PoliteFetcher) -> None:
    first = fetcher.get(site.page("/news/office/"))
    again = fetcher.get(site.page("/news/office/"), etag=first.etag)
    assert first.etag and again.not_modified and again.content == b""
    assert site.log[-1][1]["if-none-match"] == first.etag


def test_redirect_is_followed_on_the_same_host(site: Site, fetcher: PoliteFetcher) -> None:
    fetched = fetcher.get(site.page("/news/old-office/"))
    assert fetched.status == 200 and fetched.url == site.page("/news/office/")


def test_other_hosts_are_not_fetched(site: Site, fetcher: PoliteFetcher) -> None:
    with pytest.raises(FetchError, match="not on a host"):
        fetcher.get("http://elsewhere.example/news/")
    site.routes["/away/"] = site.routes["/news/old-office/"].__class__(
        b"", status=302, headers=(("Location", "http://elsewhere.example/"),)
    )
    with pytest.raises(FetchError, match="not on a host"):
        fetcher.get(site.page("/away/"))


def test_retry_after_forms() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_an_oversized_page_is_not_read(site: Site, clock: FakeClock) -> None:
    host = site.base.split("//", 1)[1]
    small = PoliteFetcher.for_hosts([host], clock=clock, sleep=clock.sleep, max_bytes=500)
    with pytest.raises(FetchError, match="larger than 500 bytes"):
        small.get(site.page("/news/office/"))
