"""What sources declare about other versions: hreflang links in pages and sitemaps, an export's story key."""

from __future__ import annotations

from pathlib import Path

from indexer.sources.jsonl import list_jsonl
from indexer.sources.pages import extracted_hash, page_article
from indexer.sources.sitemap import parse_sitemap
from tests.indexer.sources.site_server import SITE

HEAD = "<head>\n"
LINKS = (
    '<link rel="alternate" hreflang="ru" href="/ru/news/office/">\n'
    '<link rel="alternate" hreflang="en" href="https://uni.example/news/office/">\n'
    '<link rel="alternate" hreflang="zh" href="HTTPS://Uni.Example/zh/news/office/#top">\n'
    '<link rel="alternate" type="application/rss+xml" href="/feed.xml">\n'
)


def _page(with_links: bool) -> bytes:
    html = (SITE / "en-office.html").read_text("utf-8")
    return html.replace(HEAD, HEAD + LINKS if with_links else HEAD, 1).encode("utf-8")


def test_a_page_declares_its_other_language_versions_absolute_and_normalised() -> None:
    article = page_article(_page(True), article_id="office", source="x", url="https://uni.example/news/office/")
    # Its own url and the feed link (no hreflang) are not versions.
    assert article.alternates == ("https://uni.example/ru/news/office/", "https://uni.example/zh/news/office/")


def test_declaring_nothing_keeps_the_hash_it_had_and_declaring_changes_it() -> None:
    url = "https://uni.example/news/office/"
    plain = page_article(_page(False), article_id="office", source="x", url=url)
    linked = page_article(_page(True), article_id="office", source="x", url=url)
    assert plain.alternates == ()
    # The hash of a page that declares nothing: the fields it always had, nothing added.
    assert plain.content_hash == extracted_hash(plain.title, plain.date, plain.body, url, plain.lang, plain.date_source)
    assert linked.content_hash != plain.content_hash


def test_a_sitemap_entry_declares_alternates_that_reach_the_page_article() -> None:
    sitemap = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">
  <url>
    <loc>https://uni.example/news/office/</loc>
    <xhtml:link rel="alternate" hreflang="ru" href="https://uni.example/ru/news/office/"/>
    <xhtml:link rel="alternate" hreflang="en" href="https://uni.example/news/office/"/>
  </url>
  <url><loc>https://uni.example/news/other/</loc></url>
</urlset>"""
    _, entries = parse_sitemap(sitemap, url="https://uni.example/sitemap.xml")
    assert [e.alternates for e in entries] == [
        ("https://uni.example/news/office/", "https://uni.example/ru/news/office/"),
        (),
    ]
    article = page_article(
        _page(False), article_id="office", source="x", url=entries[0].url, alternates=entries[0].alternates
    )
    assert article.alternates == ("https://uni.example/ru/news/office/",)


def test_an_export_line_declares_its_story_key(tmp_path: Path) -> None:
    export = tmp_path / "news.jsonl"
    export.write_text(
        '{"id": "a", "title": "Lab opens", "body": "The lab opened.", "story": " lab-2025 "}\n'
        '{"id": "b", "title": "Лаборатория открылась", "body": "Лаборатория открылась.", "story": "lab-2025"}\n'
        '{"id": "c", "title": "Other", "body": "Other news."}\n',
        encoding="utf-8",
    )
    listing = list_jsonl(export, source="news")
    assert [(a.id, a.story) for a in listing.articles] == [("a", "lab-2025"), ("b", "lab-2025"), ("c", None)]
    unkeyed = export.read_text("utf-8").replace(', "story": " lab-2025 "', "")
    export.write_text(unkeyed, encoding="utf-8")
    again = list_jsonl(export, source="news")
    assert again.articles[0].content_hash != listing.articles[0].content_hash
    assert again.articles[2].content_hash == listing.articles[2].content_hash
