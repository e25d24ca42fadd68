"""The search page shows what it read about time, lets the reader search all dates, and gives each date its age."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Service, Watched, open_page

LOCALES = {"en": "en-GB", "ru": "ru-RU"}
# A publication year the words state, in each language; 2024 has English and Russian articles.
STATED = {"en": "What did the news say about cooperation in 2024?", "ru": "Что писали о Политехе в 2024 году?"}
CHIP = {"en": "Published in 2024", "ru": "Опубликовано в 2024 году"}
ALL_DATES = {"en": "search all dates", "ru": "искать за все даты"}
LATEST = {"en": "What is the latest news about JITRI?", "ru": "Последние новости о JITRI"}
NEWEST = {"en": "Newest first", "ru": "Сначала новые"}


@pytest.fixture(params=list(LOCALES))
def viewer(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Watched]]:
    context, watched = open_page(browser, width=1100, height=900, locale=LOCALES[request.param])
    try:
        yield request.param, watched
    finally:
        context.close()


def settled(page: Page) -> None:
    page.wait_for_function(
        "() => { const r = document.getElementById('results');"
        " return r.getAttribute('aria-busy') === 'false' && r.children.length > 0; }"
    )


def english_age(day: dt.date, today: dt.date) -> str:
    """What Intl.RelativeTimeFormat("en-GB", {numeric: "auto"}) says for the page's largest whole unit."""
    months = (today.year - day.year) * 12 + today.month - day.month - (today.day < day.day)
    days = (today - day).days
    for count, unit in ((months // 12, "year"), (months, "month"), (days // 7, "week")):
        if count >= 1:
            return f"last {unit}" if count == 1 else f"{count} {unit}s ago"
    return {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")


def years(page: Page) -> set[str]:
    return {day[:4] for day in page.locator("li.result time.date").evaluate_all("ns => ns.map(n => n.dateTime)")}


def test_a_stated_year_shows_a_chip_and_one_click_searches_all_dates(
    viewer: tuple[str, Watched], service: Service
) -> None:
    lang, watched = viewer
    page = watched.page
    page.goto(f"{service.origin}/?{urlencode({'q': STATED[lang]})}")
    settled(page)
    chip = page.locator("p.interpreted")
    expect(chip).to_contain_text(CHIP[lang])
    assert years(page) == {"2024"}
    chip.locator("a.interpreted-all").filter(has_text=ALL_DATES[lang]).click()
    settled(page)
    expect(page.locator("p.interpreted")).to_have_count(0)
    assert parse_qs(urlsplit(page.url).query)["alldates"] == ["1"]
    expected = service.get("/search", q=STATED[lang], group="article", k=10, infer_dates="false")
    assert len(years(page)) > 1 and expected["interpreted"]["filter"] is False  # type: ignore[index]
    # The back button returns to the search read with its dates.
    page.go_back()
    settled(page)
    expect(page.locator("p.interpreted")).to_contain_text(CHIP[lang])
    assert watched.errors == []


def test_latest_shows_newest_first(viewer: tuple[str, Watched], service: Service) -> None:
    lang, watched = viewer
    page = watched.page
    page.goto(f"{service.origin}/?{urlencode({'q': LATEST[lang]})}")
    settled(page)
    expect(page.locator("p.interpreted")).to_contain_text(NEWEST[lang])


def test_each_result_and_the_answer_give_the_date_and_its_age(viewer: tuple[str, Watched], service: Service) -> None:
    lang, watched = viewer
    page = watched.page
    page.goto(f"{service.origin}/?{urlencode({'q': STATED[lang], 'alldates': '1'})}")
    settled(page)
    today = dt.date.today()
    metas = page.locator("li.result .meta")
    assert metas.count() > 1
    for index in range(metas.count()):
        meta = metas.nth(index)
        day = meta.locator("time.date").get_attribute("datetime")
        if day is None:
            continue
        published = dt.date.fromisoformat(day)
        months = (today.year - published.year) * 12 + today.month - published.month - (today.day < published.day)
        age = meta.locator(".age").inner_text()
        if months >= 12:
            word = {"en": "year", "ru": ("год", "лет")}[lang]
            assert str(months // 12) in age or (months // 12 == 1 and age in ("last year", "в прошлом году")), age
            assert any(w in age for w in ((word,) if isinstance(word, str) else word)) or "прошлом" in age, age
        else:
            assert "year" not in age and "год" not in age, age


def test_the_answer_card_shows_its_articles_age(service: Service, browser: Browser) -> None:
    context, watched = open_page(browser, width=1100, height=900, locale="en-GB")
    try:
        page = watched.page
        page.goto(f"{service.origin}/?{urlencode({'q': 'Who led the JITRI delegation?'})}")
        settled(page)
        citation = page.locator("section.answer .citation")
        expect(citation.locator("time.date")).to_have_count(1)
        day = dt.date.fromisoformat(citation.locator("time.date").get_attribute("datetime") or "")
        expect(citation.locator(".age")).to_have_text(english_age(day, dt.date.today()))
    finally:
        context.close()
