"""``sync_once`` against the loopback news site, a folder and a .jsonl export (fake encoder)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.build.builder import BuildOptions
from indexer.build.sync import EncoderLoader, SyncReport, _only_sync, sync_once
from indexer.errors import BuildError, SourceError
from indexer.search.retriever import Retriever
from indexer.sources.fetching import PoliteFetcher
from indexer.sources.resolve import Source, parse_source
from indexer.sources.state import STATE_FILE
from indexer.store.reader import load_index
from tests.fakes import FakeEncoder
from tests.indexer.sources.site_server import SITE, FakeClock, Route, Site, SiteServer

REPO = Path(__file__).resolve().parents[3]
OPTIONS = BuildOptions(chunk_tokens=64, overlap_tokens=8)


@pytest.fixture
def site() -> Iterator[Site]:
    with SiteServer() as served:
        yield served


def sync(site: Site, out: Path, encoder: FakeEncoder, *sources: str) -> SyncReport:
    clock = FakeClock()
    fetcher = PoliteFetcher.for_hosts([site.base.split("//", 1)[1]], clock=clock, sleep=clock.sleep)
    try:
        return sync_once([parse_source(s) for s in sources], out, encoder, OPTIONS, fetcher=fetcher)
    finally:
        fetcher.close()


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_sitemap_sync_indexes_the_site_with_urls_dates_and_languages(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    report = sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    assert report.ok and report.build is not None and report.build.written
    index = load_index(out)
    by_url = {a.url: a for a in index.articles.values()}
    assert set(by_url) == {site.page(p) for p in ("/news/office/", "/news/summit/", "/news/lab/", "/news/quantum/")}
    office = by_url[site.page("/news/office/")]
    assert (office.title, office.date, office.date_source, office.lang) == (
        "Representative office opens in Shanghai",
        "2023-06-01",
        "date-line",
        "en",
    )
    lab = by_url[site.page("/news/lab/")]
    assert (lab.date, lab.lang) == ("2020-10-05", "ru") and "аддитивных" in lab.body
    assert by_url[site.page("/news/summit/")].date == "2025-07-17"
    assert "/private/secret/" not in site.paths()
    for passage in index.passages:
        article = index.articles[passage.article_id]
        assert passage.url == article.url and article.body[passage.start : passage.end] == passage.text


def test_unchanged_site_resync_encodes_nothing_and_writes_nothing(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    encoder = FakeEncoder()
    sync(site, out, encoder, site.page("/sitemap.xml"), site.page("/rss.xml"))
    before, encoded = snapshot(out), encoder.texts_encoded
    site.log.clear()
    report = sync(site, out, encoder, site.page("/sitemap.xml"), site.page("/rss.xml"))
    assert report.build is not None and not report.build.written
    assert encoder.texts_encoded == encoded
    assert snapshot(out) == before  # index and state file byte for byte
    # Pages were asked conditionally and answered 304.
    assert report.not_modified >= 4 and report.fetched == 0
    page_requests = [h for p, h in site.log if p.startswith("/news/")]
    assert page_requests and all("if-none-match" in h for h in page_requests)


def test_sitemap_lastmod_unchanged_skips_the_page(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    site.sitemap(["/news/office/", "/news/summit/"], lastmods={"/news/office/": "2025-01-01"})
    sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    site.log.clear()
    report = sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    assert report.skipped_unchanged == 1
    assert "/news/office/" not in site.paths() and "/news/summit/" in site.paths()
    # And lastmod is never a publication date.
    assert load_index(out).articles[_id(out, site, "/news/office/")].date == "2023-06-01"


def _id(out: Path, site: Site, path: str) -> str:
    return next(a.id for a in load_index(out).articles.values() if a.url == site.page(path))


def test_an_edit_re_embeds_one_article_and_a_footer_change_none(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    encoder = FakeEncoder()
    sync(site, out, encoder, site.page("/sitemap.xml"))
    html = (SITE / "en-office.html").read_text(encoding="utf-8")
    site.set_page("/news/office/", html.replace("14 November 2025", "1 December 2026"))
    report = sync(site, out, encoder, site.page("/sitemap.xml"))
    assert report.fetched == 1 and report.build is not None and not report.build.written
    site.set_page("/news/office/", html.replace("three new partner agreements", "four new partner agreements"))
    calls = encoder.calls
    report = sync(site, out, encoder, site.page("/sitemap.xml"))
    assert report.build is not None and report.build.written
    assert report.build.updated == [_id(out, site, "/news/office/")] and not report.build.added
    assert encoder.calls == calls + 1 and report.build.encoded == len(
        [p for p in load_index(out).passages if p.article_id == _id(out, site, "/news/office/")]
    )


def test_deletion_after_a_complete_listing_removes_one(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    gone = _id(out, site, "/news/quantum/")
    site.sitemap(["/news/office/", "/news/summit/", "/news/lab/"])
    report = sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    assert report.build is not None and report.build.removed == [gone]
    assert len(load_index(out).articles) == 3


def test_a_failed_listing_removes_nothing(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    before = snapshot(out)
    site.routes["/sitemap-news.xml"] = Route(b"oops", status=500)
    report = sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    assert "partial" in report.sources[site.page("/sitemap.xml")] or not report.ok
    assert report.build is not None and not report.build.removed and not report.build.written
    assert snapshot(out) == before
    del site.routes["/sitemap.xml"]
    report = sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    assert not report.ok and report.build is not None and not report.build.removed


def test_a_page_gone_twice_is_removed_and_once_is_not(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    sync(site, out, FakeEncoder(), site.page("/rss.xml"), site.page("/atom.xml"))
    assert len(load_index(out).articles) == 4  # the redirect's target, summit, lab, quantum
    del site.routes["/news/lab/"]
    first = sync(site, out, FakeEncoder(), site.page("/rss.xml"), site.page("/atom.xml"))
    assert first.build is not None and not first.build.removed
    second = sync(site, out, FakeEncoder(), site.page("/rss.xml"), site.page("/atom.xml"))
    assert second.build is not None and len(second.build.removed) == 1
    assert all(a.url != site.page("/news/lab/") for a in load_index(out).articles.values())


def test_feed_pages_not_summaries_and_redirects_keep_the_final_url(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    report = sync(site, out, FakeEncoder(), site.page("/rss.xml"))
    assert report.ok and report.failed_pages == 0
    articles = load_index(out).articles.values()
    assert {a.url for a in articles} == {site.page("/news/office/"), site.page("/news/summit/")}
    assert all("Summary only" not in a.body for a in articles)


def test_site_root_reads_sitemaps_from_robots(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    report = sync(site, out, FakeEncoder(), site.base + "/")
    assert report.ok and len(load_index(out).articles) == 4
    assert not any("elsewhere" in p for p in site.paths())


def test_folder_and_jsonl_sources_each_delete_only_their_own(site: Site, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "summit.txt").write_text("Summit\n\nThe summit took place in Xi'an.", encoding="utf-8")
    (folder / "office.html").write_bytes((SITE / "en-office.html").read_bytes())
    export = tmp_path / "export.jsonl"
    lines = [
        {
            "id": "j1",
            "title": "Export one",
            "date": "17 июля 2025",
            "body": "First exported article text.",
            "lang": "ru",
        },
        {
            "id": "j2",
            "title": "Export two",
            "date": "2024-01-02",
            "body": "Second article.",
            "url": "https://x.example/2",
        },
    ]
    export.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    out = tmp_path / "index"
    sync(site, out, FakeEncoder(), str(folder), str(export))
    articles = load_index(out).articles
    assert set(articles) == {"summit", "office", "j1", "j2"}
    assert articles["office"].date == "2023-06-01" and articles["j1"].date == "2025-07-17"
    assert articles["j2"].url == "https://x.example/2" and articles["j1"].lang == "ru"
    # The export deletes j1 by a deleted line; the folder loses a file. Neither touches the other.
    export.write_text(json.dumps(lines[1]) + "\n" + json.dumps({"id": "j1", "deleted": True}) + "\n", encoding="utf-8")
    (folder / "summit.txt").unlink()
    report = sync(site, out, FakeEncoder(), str(folder), str(export))
    assert report.build is not None and sorted(report.build.removed) == ["j1", "summit"]
    # A broken line makes the export partial: j2 missing from it is not deleted.
    export.write_text("{not json\n", encoding="utf-8")
    report = sync(site, out, FakeEncoder(), str(folder), str(export))
    assert report.build is not None and not report.build.removed


def test_bad_sources_are_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such"):
        parse_source(str(tmp_path / "missing"))
    with pytest.raises(SourceError, match="http"):
        parse_source("ftp://example.org/feed")
    (tmp_path / "notes.csv").write_text("a,b", encoding="utf-8")
    with pytest.raises(SourceError):
        parse_source(str(tmp_path / "notes.csv"))
    assert parse_source(str(tmp_path)) == Source(name=str(tmp_path.resolve()), kind="folder")


_KILLABLE = """
import sys
from pathlib import Path
from indexer.build.builder import BuildOptions
from indexer.sources.fetching import PoliteFetcher
from indexer.sources.resolve import parse_source
from indexer.build.sync import sync_once
from tests.fakes import FakeEncoder
base, out = sys.argv[1], Path(sys.argv[2])
fetcher = PoliteFetcher.for_hosts([base.split("//", 1)[1]], min_delay=0.2)
# Crawl-delay is 2 s, which makes this run long enough to be killed in the middle.
sync_once([parse_source(base + "/sitemap.xml")], out, FakeEncoder(), BuildOptions(chunk_tokens=64, overlap_tokens=8),
          fetcher=fetcher)
"""


def test_kill_9_during_sync_leaves_a_working_index_and_the_next_sync_continues(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    old_version = load_index(out).version
    html = (SITE / "en-office.html").read_text(encoding="utf-8")
    site.set_page("/news/office/", html.replace("three new partner", "five new partner"))
    site.set_page("/news/summit/", (SITE / "en-jsonld.html").read_text(encoding="utf-8").replace("eleven", "twelve"))
    site.log.clear()
    child = subprocess.Popen([sys.executable, "-c", _KILLABLE, site.base, str(out)], cwd=REPO, env=dict(os.environ))
    deadline = time.monotonic() + 60
    # Kill once the first page has been fetched and stored, before the last one.
    while site.paths().count("/news/office/") < 1 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert "/news/summit/" not in site.paths() or "/news/quantum/" not in site.paths()
    assert load_index(out).version == old_version  # the old index is still live and verifies
    report = sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    assert report.build is not None and report.build.written
    retriever = Retriever.open(out, encoder=FakeEncoder())
    bodies = " ".join(a.body for a in retriever.index.articles.values())
    assert "five new partner" in bodies and "twelve universities" in bodies
    assert (out / STATE_FILE).is_file()


def test_a_stop_request_keeps_the_index_and_the_next_sync_continues(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    sync(site, out, FakeEncoder(), site.page("/rss.xml"))
    version = load_index(out).version
    stop = threading.Event()
    clock = FakeClock()
    fetcher = PoliteFetcher.for_hosts([site.base.split("//", 1)[1]], clock=clock, sleep=clock.sleep)
    site.set_page("/news/lab/", (SITE / "en-jsonld.html").read_bytes())
    report = sync_once(
        [parse_source(site.page("/atom.xml")), parse_source(site.page("/sitemap.xml"))],
        out,
        FakeEncoder(),
        OPTIONS,
        fetcher=fetcher,
        stop=stop,
        on_listing=lambda source, listing: stop.set() if source.name.endswith("sitemap.xml") else None,
    )
    assert report.stopped and report.build is None
    assert load_index(out).version == version  # nothing half-done reached the index
    report = sync(site, out, FakeEncoder(), site.page("/atom.xml"), site.page("/sitemap.xml"))
    assert report.build is not None and report.build.written and report.not_modified >= 2


def test_a_second_sync_on_the_same_index_is_refused(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    with _only_sync(out), pytest.raises(BuildError, match="another polysearch sync"):
        sync(site, out, FakeEncoder(), site.page("/rss.xml"))
    assert sync(site, out, FakeEncoder(), site.page("/rss.xml")).build is not None


def test_an_unchanged_sync_never_loads_the_model(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    loads: list[int] = []

    def load() -> FakeEncoder:
        loads.append(1)
        return FakeEncoder()

    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text("Office opens\n\nThe office opened in Shanghai.", encoding="utf-8")
    clock = FakeClock()
    fetcher = PoliteFetcher.for_hosts([], clock=clock, sleep=clock.sleep)
    loader = EncoderLoader("fake-encoder", load)
    first = sync_once([parse_source(str(folder))], out, loader, OPTIONS, fetcher=fetcher)
    assert first.build is not None and first.build.written and loads == [1]
    again = sync_once([parse_source(str(folder))], out, EncoderLoader("fake-encoder", load), OPTIONS, fetcher=fetcher)
    assert again.build is not None and not again.build.written and loads == [1]
    assert again.build.unchanged == ["a"] and again.build.version == first.build.version
    (folder / "a.txt").write_text("Office opens\n\nThe office opened in Shanghai in 2016.", encoding="utf-8")
    edited = sync_once([parse_source(str(folder))], out, EncoderLoader("fake-encoder", load), OPTIONS, fetcher=fetcher)
    assert edited.build is not None and edited.build.updated == ["a"] and loads == [1, 1]


def test_a_listed_page_that_is_no_article_is_skipped_and_asked_conditionally(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "index"
    site.routes["/files/report.pdf"] = Route(b"%PDF-1.4 not html", "application/pdf")
    site.routes["/news/"] = Route(b"<html><body><nav><a href='/'>Home</a></nav></body></html>")
    site.sitemap(["/news/office/", "/files/report.pdf", "/news/"])
    first = sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    assert first.ok and first.build is not None and len(first.build.added) == 1
    site.log.clear()
    again = sync(site, out, FakeEncoder(), site.page("/sitemap.xml"))
    assert again.fetched == 0 and again.not_modified == 3 and again.failed_pages == 0
    assert all("if-none-match" in headers for path, headers in site.log if path in ("/files/report.pdf", "/news/"))
