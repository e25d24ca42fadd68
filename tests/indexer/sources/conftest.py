"""Fixtures for source tests: the loopback news site and a fetcher on a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from indexer.sources.fetching import PoliteFetcher
from tests.indexer.sources.site_server import FakeClock, Site, SiteServer


@pytest.fixture
def site() -> Iterator[Site]:
    with SiteServer() as served:
        yield served


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fetcher(site: Site, clock: FakeClock) -> Iterator[PoliteFetcher]:
    polite = PoliteFetcher.for_hosts([site.base.split("//", 1)[1]], clock=clock, sleep=clock.sleep)
    yield polite
    polite.close()
