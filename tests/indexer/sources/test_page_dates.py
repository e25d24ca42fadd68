"""Where a page's date comes from: the signals in their order, and what is never a publication date.

Each test takes a layout page of ``layouts/`` and changes one thing, so a signal that breaks
or a chrome date that leaks in shows as a wrong date here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build.builder import BuildOptions
from indexer.build.sync import sync_once
from indexer.sources.fetching import PoliteFetcher
from indexer.sources.folder import list_folder
from indexer.sources.pages import extract_page, page_article
from indexer.sources.resolve import parse_source
from indexer.store.reader import load_index
from tests.fakes import FakeEncoder
from tests.indexer.sources.site_server import FakeClock, Site

LAYOUTS = Path(__file__).parent / "layouts"
REPO = Path(__file__).resolve().parents[3]
UNIVERSITY = {
    "/news/nanjing/": ("university-en.html", "2024-05-24", "SPbPU signs cooperation agreement"),
    "/news/xian-summit/": ("university-ru.html", "2025-07-17", "Саммит технических университетов"),
}


def page(name: str) -> str:
    return (LAYOUTS / name).read_text(encoding="utf-8")


def test_university_pages_fetched_from_the_site_are_dated_through_page_article(
    site: Site, fetcher: PoliteFetcher
) -> None:
    for path, (name, date, title) in UNIVERSITY.items():
        site.set_page(path, page(name))
        fetched = fetcher.get(site.page(path))
        article = page_article(fetched.content, article_id=path, source="site", url=site.page(path))
        assert (article.date, article.date_source) == (date, "date-line")
        assert article.title.startswith(title)
        # Neither the date line ("24 May 2024 · International activities · 255") nor the view count is text.
        assert "International activities" not in article.body and "Международная деятельность" not in article.body


def test_a_sync_of_the_university_layout_records_its_dates(site: Site, tmp_path: Path) -> None:
    for path, (name, _, _) in UNIVERSITY.items():
        site.set_page(path, page(name))
    site.sitemap(list(UNIVERSITY))
    clock = FakeClock()
    fetcher = PoliteFetcher.for_hosts([site.base.split("//", 1)[1]], clock=clock, sleep=clock.sleep)
    try:
        options = BuildOptions(chunk_tokens=64, overlap_tokens=8)
        report = sync_once(
            [parse_source(site.page("/sitemap.xml"))], tmp_path / "index", FakeEncoder(), options, fetcher=fetcher
        )
    finally:
        fetcher.close()
    assert report.ok
    dates = {a.url: (a.date, a.lang) for a in load_index(tmp_path / "index").articles.values()}
    assert dates == {
        site.page("/news/nanjing/"): ("2024-05-24", "en"),
        site.page("/news/xian-summit/"): ("2025-07-17", "ru"),
    }


def test_the_seeds_date_line_and_footer_are_read() -> None:
    dates = {a.id: (a.date, a.date_source) for a in list_folder(REPO / "seeds", source="seeds").articles}
    assert dates == {
        "000_7a98eeee1861e3cd": ("2023-06-01", "header"),  # "1 June 2023 International activities 542"
        "001_beaca05ca1d529df": ("2024-05-24", "header"),
        "002_a033d0d0b69a656a": ("2020-10-05", "footer"),  # "Дата публикации: 2020.10.05"
        "003_81355e64a07f423b": ("2022-06-10", "footer"),
        "004_65cc03ef8546c71e": ("2025-07-17", "footer"),
    }


def test_published_metadata_beats_the_date_line() -> None:
    html = page("university-en.html").replace(
        "</head>", '<meta property="article:published_time" content="2024-05-23T01:30:00+03:00"></head>'
    )
    # The publisher's own day: in UTC it was still 22 May.
    assert (extract_page(html.encode()).date, extract_page(html.encode()).date_source) == ("2024-05-23", "metadata")


def test_a_modified_time_is_never_the_publication_date() -> None:
    html = page("university-en.html").replace(
        '<p class="news-detail__info">24 May 2024 · ', '<p class="news-detail__info">'
    )
    assert extract_page(html.encode()).date is None
    changed = html.replace(
        "</head>",
        '<meta property="article:modified_time" content="2025-01-10">'
        '<meta property="og:updated_time" content="2025-01-11">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "dateModified": "2025-01-12"}</script></head>',
    )
    assert extract_page(changed.encode()).date is None


def test_json_ld_of_the_article_beats_that_of_the_site() -> None:
    blocks = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "WebSite", "datePublished": "2010-01-01"},'
        '{"@type": ["NewsArticle"], "datePublished": "2024-05-24T10:00:00+03:00"}]}</script>'
    )
    html = page("university-en.html").replace("</head>", blocks + "</head>")
    assert (extract_page(html.encode()).date, extract_page(html.encode()).date_source) == ("2024-05-24", "metadata")


def test_times_in_comments_and_sidebars_are_passed_over() -> None:
    # WordPress without its entry date: the comments' and the sidebar's dates must not stand in.
    html = page("wordpress-en.html").replace(
        '<time class="entry-date published" datetime="2022-09-16T11:20:31+03:00">September 16, 2022</time>', ""
    )
    html = html.replace('<time class="updated" datetime="2023-02-01T08:00:00+03:00">February 1, 2023</time>', "")
    assert extract_page(html.encode()).date is None


def test_the_url_date_is_read_when_the_page_states_none() -> None:
    html = page("hugo-en.html").replace("August 30, 2021 · ", "")
    assert extract_page(html.encode()).date is None
    dated = extract_page(html.encode(), url="https://systems.example.edu/posts/2021/08/30/summer-school/")
    assert (dated.date, dated.date_source) == ("2021-08-30", "url")


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("24 May 2024 · International activities · 255", "2024-05-24"),
        ("Posted on May 24, 2024 by Olga Petrova", "2024-05-24"),
        ("Опубликовано: 24.05.2024", "2024-05-24"),
        ("24 мая 2024 г. | Наука | 1 203", "2024-05-24"),
    ],
)
def test_a_date_line_in_any_form_under_the_heading_dates_the_page(line: str, date: str) -> None:
    html = page("university-en.html").replace(
        '24 May 2024 · <a href="/news/international/">International activities</a> · 255', line
    )
    assert extract_page(html.encode()).date == date


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Choir tour to Tallinn — University Chamber Choir", "Choir tour to Tallinn"),
        ("Кафедра :: Новости :: Choir tour to Tallinn", "Choir tour to Tallinn"),
        # The heading is only part of what the article is called: the title stays whole.
        ("Choir tour to Tallinn 2019 - a review", "Choir tour to Tallinn 2019 - a review"),
    ],
)
def test_the_title_drops_the_site_name_but_not_its_own_words(title: str, expected: str) -> None:
    # og:title is what trafilatura takes for the title; the page's heading is "Choir tour to Tallinn".
    text = "".join(f"<p>{page('squarespace-en.html').split('<p>')[i].split('</p>')[0]}</p>" for i in (1, 2, 3))
    html = f'<html><head><meta property="og:title" content="{title}"></head><body><article>'
    html += f"<h1>Choir tour to Tallinn</h1>{text}</article></body></html>"
    assert extract_page(html.encode()).title == expected


def test_an_unchanged_wordpress_post_marks_its_one_date_published_and_updated() -> None:
    html = page("wordpress-en.html").replace('class="entry-date published"', 'class="entry-date published updated"')
    html = html.replace('<time class="updated" datetime="2023-02-01T08:00:00+03:00">February 1, 2023</time>', "")
    html = html.replace("Posted on ", "")
    assert (extract_page(html.encode()).date, extract_page(html.encode()).date_source) == ("2022-09-16", "time")


def test_json_ld_with_raw_line_breaks_in_its_strings_is_read() -> None:
    block = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "description": "two\nlines",'
        ' "datePublished": "2024-05-22"}</script>'
    )
    html = page("university-en.html").replace("</head>", block + "</head>")
    assert (extract_page(html.encode()).date, extract_page(html.encode()).date_source) == ("2024-05-22", "metadata")


def test_microdata_dates_in_a_sidebar_are_passed_over() -> None:
    card = '<li><meta itemprop="datePublished" content="2024-06-03"><a href="/n/">Summer school</a></li>'
    html = page("university-en.html").replace('<ul class="news-list">', '<ul class="news-list">' + card)
    assert (extract_page(html.encode()).date, extract_page(html.encode()).date_source) == ("2024-05-24", "date-line")
