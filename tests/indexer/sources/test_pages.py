"""Page extraction on fixture pages with real site chrome: title, date, text and language right."""

from __future__ import annotations

import pytest

from indexer.errors import ArticleReadError
from indexer.sources.page_dates import date_line
from indexer.sources.pages import decode_html, extract_page
from tests.indexer.sources.site_server import SITE

CHROME = (
    "Other news",
    "robotics hackathon",
    "last updated",
    "All rights reserved",
    "Privacy policy",
    "Home",
    "Другие новости",
    "Последнее обновление",
    "Библиотека продлила",
    "Архив новостей",
    "Зимняя школа",
    "©",
    "Обновлено",
    "Career fair",
)


@pytest.mark.parametrize(
    ("name", "title", "date", "date_source", "lang", "first_words"),
    [
        (
            "en-office.html",
            "Representative office opens in Shanghai",
            "2023-06-01",
            "date-line",
            "en",
            "The university",
        ),
        (
            "ru-summit.html",
            "Саммит технических университетов прошёл в Сиане",
            "2025-07-17",
            "date-line",
            "ru",
            "В городе",
        ),
        ("ru-lab.html", "Новая лаборатория аддитивных технологий", "2020-10-05", "date-line", "ru", "В университете"),
        (
            "en-jsonld.html",
            "University joins the quantum computing consortium",
            "2024-09-18",
            "metadata",
            "en",
            "The uni",
        ),
    ],
)
def test_pages_give_title_date_text_and_no_chrome(
    name: str, title: str, date: str, date_source: str, lang: str, first_words: str
) -> None:
    page = extract_page((SITE / name).read_bytes(), url="http://127.0.0.1/x")
    assert (page.title, page.date, page.date_source, page.lang) == (title, date, date_source, lang)
    assert page.body.startswith(first_words)
    assert len(page.body.split("\n\n")) >= 2
    for chrome in CHROME:
        assert chrome.lower() not in page.body.lower(), chrome
    # The date line is metadata, not text; the title is not repeated in the body.
    assert "Дата публикации" not in page.body and not page.body.startswith(title)


def test_windows_1251_is_read_from_the_header_or_the_meta_tag() -> None:
    raw = (SITE / "ru-lab.html").read_bytes()
    assert "аддитивных" in decode_html(raw)
    assert "аддитивных" in decode_html(raw, charset="windows-1251")
    # A wrong header charset that cannot decode falls back to the page's own declaration.
    assert "аддитивных" in decode_html(raw, charset="utf-8")


def test_a_changed_footer_or_sidebar_extracts_the_same() -> None:
    html = (SITE / "en-office.html").read_text(encoding="utf-8")
    edited = html.replace("14 November 2025", "2 December 2026").replace("© 2025", "© 2026")
    edited = edited.replace("Students win the robotics hackathon", "A new sidebar item")
    assert extract_page(edited.encode()) == extract_page(html.encode())


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("17 июля 2025", "2025-07-17"),
        ("Дата публикации: 2020.10.05", "2020-10-05"),
        ("Published: June 1, 2023", "2023-06-01"),
        ("Last updated: 14 November 2025", None),
        ("Последнее обновление: 2 сентября 2025", None),
        ("The office opened on 1 June 2023 in Shanghai.", None),
        ("Deadline: 1 June 2023", None),
        ("Опубликовано: 5 мая 2025 г.", "2025-05-05"),
        ("1 June 2023 · International activities · 542", "2023-06-01"),
        ("17 июля 2025 · Международная деятельность · 542", "2025-07-17"),
    ],
)
def test_date_lines(line: str, expected: str | None) -> None:
    assert date_line(line) == expected


def test_a_page_without_text_is_refused() -> None:
    with pytest.raises(ArticleReadError):
        extract_page(b"<html><body><nav><a href='/'>Home</a></nav></body></html>")


def test_a_page_with_only_chrome_dates_gets_no_date() -> None:
    html = (SITE / "en-office.html").read_text(encoding="utf-8").replace('<div class="news-date">1 June 2023</div>', "")
    page = extract_page(html.encode())
    # Neither the sidebar's dates nor the footer's "last updated" become the publication date.
    assert page.date is None and page.date_source is None
