"""The page, the article view and the widget in Russian and English, chosen the ways a person chooses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import HostSite, Service, Watched, open_page, screenshot

QUESTION_RU = "Когда открылось представительство в Шанхае?"
ARTICLE_RU = "ru_003_shanghai_office"


@pytest.fixture
def russian(browser: Browser) -> Iterator[Watched]:
    """A browser whose preferred language (Accept-Language) is Russian."""
    context, watched = open_page(browser, locale="ru-RU")
    try:
        yield watched
    finally:
        context.close()


def test_a_russian_browser_gets_the_page_in_russian_and_a_russian_answer(russian: Watched, service: Service) -> None:
    page = russian.page
    expected: Any = service.get("/ask", q=QUESTION_RU)
    assert expected["query_lang"] == "ru" and expected["dense_used"] is False
    answer = expected["answer"]
    assert answer is not None and answer["article_id"] == ARTICLE_RU and "апреле 2016" in answer["text"]

    page.goto(f"{service.origin}/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text("Спросите архив новостей")
    label = "Вопрос или слова для поиска"
    page.get_by_label(label).fill(QUESTION_RU)
    page.get_by_role("button", name="Найти").click()
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")
    card = page.locator(".answer")
    expect(card.locator("h2")).to_have_text("Ответ")
    expect(card.locator(".answer-text")).to_have_text(answer["text"])
    # Dates in Russian ("12 апреля 2026 г."), and the page says the model did not rank the query.
    expect(card.locator("time")).to_have_text(re.compile(r"^12 апреля 2026"))
    expect(card.locator(".keyword-only")).to_contain_text("русский")
    expect(page.locator("#status")).to_contain_text("Ответ найден")
    expect(page.locator(".articles h2")).to_have_text("Статьи")
    # The question's "представительство" marks the snippets' inflected "представительством"
    # (words are marked by stem); "когда" marks nothing.
    expect(page.locator(".articles mark.term", has_text="представительством").first).to_be_visible()
    expect(page.locator(".articles mark.term", has_text=re.compile(r"^[Кк]огда$"))).to_have_count(0)
    screenshot(page, "search-page-ru.png")

    card.locator("a.citation-link").click()
    page.wait_for_url(re.compile(rf"/read/{ARTICLE_RU}\?"))
    expect(page.locator("mark.cited")).to_have_text(answer["text"])
    expect(page.locator("#article-meta time")).to_have_text(re.compile(r"^12 апреля 2026"))
    expect(page.locator("#back-link")).to_have_text("← Назад к поиску")
    expect(page.locator("#status")).to_have_text("Статья загружена; цитируемый текст выделен.")
    assert not russian.errors, russian.errors


def test_the_lang_parameter_and_the_switch_override_the_browser(watched: Watched, service: Service) -> None:
    page = watched.page  # an English browser
    page.goto(f"{service.origin}/?lang=ru&q={QUESTION_RU}")
    expect(page.locator("h1")).to_have_text("Спросите архив новостей")
    expect(page.locator(".answer h2")).to_have_text("Ответ")
    current = page.locator("#lang-switch a[aria-current='true']")
    expect(current).to_have_text("Русский")

    page.locator("#lang-switch a[data-lang='en']").click()
    page.wait_for_url(re.compile(r"lang=en"))
    expect(page.locator("h1")).to_have_text("Ask the news archive")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".answer h2")).to_have_text("Answer")
    # Dates follow the page's language, the query stays, and the choice travels with new searches.
    expect(page.locator(".answer time")).to_have_text(re.compile(r"^12 April 2026"))
    assert parse_qs(urlsplit(page.url).query)["q"] == [QUESTION_RU]
    page.get_by_label("Question or search words").fill("Shanghai office")
    page.get_by_label("Question or search words").press("Enter")
    page.wait_for_url(re.compile(r"q=Shanghai"))
    assert parse_qs(urlsplit(page.url).query)["lang"] == ["en"]
    assert not watched.errors, watched.errors


def test_an_english_question_on_the_mixed_index_still_gets_its_english_answer(
    watched: Watched, service: Service
) -> None:
    body: Any = service.get("/search", q="When did Polytech set up its office in Shanghai?", k=3)
    assert body["query_lang"] == "en" and body["dense_used"] is True
    assert not body["hits"][0]["article_id"].startswith("ru_")


def test_widget_speaks_the_language_of_its_data_lang(
    watched: Watched, service: Service, allowed_host: HostSite
) -> None:
    page = watched.page  # an English browser: data-lang wins
    snippet = (
        '<div id="search" data-polysearch data-lang="ru"></div>'
        f'<script src="{service.origin}/widget.js" data-endpoint="{service.origin}"></script>'
    )
    url = allowed_host.write(
        "widget-ru.html",
        '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Интранет</title></head>'
        f"<body>{snippet}</body></html>",
    )
    page.goto(url)
    widget = page.locator("#search")
    expect(widget.get_by_label("Поиск по новостям университета")).to_be_visible()
    widget.get_by_label("Поиск по новостям университета").fill(QUESTION_RU)
    widget.get_by_role("button", name="Найти").click()
    expect(widget.locator(".answer h2")).to_have_text("Ответ")
    expect(widget.locator(".status")).to_contain_text("Ответ найден")
    link = widget.locator("a.citation-link")
    assert "lang=ru" in (link.get_attribute("href") or "")
    screenshot(page, "widget-ru.png")
    assert not watched.errors, watched.errors


def test_catalogue_reasons_plurals_and_original_links(watched: Watched, service: Service) -> None:
    page = watched.page
    page.goto(f"{service.origin}/")
    result = page.evaluate(
        """async () => {
          const { translator } = await import('/static/js/i18n.js');
          const { webUrl } = await import('/static/js/dom.js');
          const ru = translator('ru'), en = translator('en');
          return {
            reason: ru.reason("no passage mentions 'tuition fee'"),
            unknown: ru.reason('something else'),
            english: en.reason("no passage mentions 'tuition fee'"),
            plurals: [1, 2, 5, 21].map((n) => ru.passages(n)),
            articles: [1, 3, 5].map((n) => ru.articles(n)),
            enPlurals: [1, 2].map((n) => en.passages(n)),
            urls: [webUrl('https://www.spbstu.ru/media/news/1'), webUrl('javascript:alert(1)'), webUrl('/x')],
          };
        }"""
    )
    assert result["reason"] == "ни один фрагмент не упоминает 'tuition fee'"
    assert result["unknown"] == "something else"
    assert result["english"] == "no passage mentions 'tuition fee'"
    assert result["plurals"] == ["1 фрагмент", "2 фрагмента", "5 фрагментов", "21 фрагмент"]
    assert result["enPlurals"] == ["1 passage", "2 passages"]
    assert result["articles"] == ["1 статья", "3 статьи", "5 статей"]
    assert result["urls"] == ["https://www.spbstu.ru/media/news/1", None, None]
