"""The search page's results by article: one per article, short snippets, facets, more results, plain errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Service, Watched, open_page, screenshot

JITRI = "Who led the JITRI delegation?"
JITRI_RU = "Кто возглавлял делегацию JITRI?"
# Matches every English and Russian article by its words: more than one page of results, both languages.
BROAD = "SPbPU Политех"
MAX_SNIPPET_CHARS = 240  # indexer/search/snippets.py
WIDTHS = {"desktop": (1100, 900), "phone": (360, 740)}
LOCALES = {"en": "en-GB", "ru": "ru-RU"}


@pytest.fixture(params=[(lang, size) for lang in LOCALES for size in WIDTHS], ids=lambda p: f"{p[0]}-{p[1]}")
def viewer(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, str, Watched]]:
    """A browser in each language at desktop and phone width."""
    lang, size = request.param
    width, height = WIDTHS[size]
    context, watched = open_page(browser, width=width, height=height, locale=LOCALES[lang])
    try:
        yield lang, size, watched
    finally:
        context.close()


def settled(page: Page) -> None:
    page.wait_for_function(
        "() => { const r = document.getElementById('results');"
        " return r.getAttribute('aria-busy') === 'false' && r.children.length > 0; }"
    )


def search(page: Page, service: Service, **params: str) -> None:
    page.goto(f"{service.origin}/?{urlencode(params)}")
    settled(page)


def test_one_result_per_article_with_a_short_marked_snippet(viewer: tuple[str, str, Watched], service: Service) -> None:
    lang, size, watched = viewer
    page = watched.page
    question = JITRI if lang == "en" else JITRI_RU
    expected: Any = service.get("/search", q=question, group="article", k=10)
    search(page, service, q=question)
    items = page.locator("li.result")
    expect(items).to_have_count(len(expected["results"]))
    ids = items.evaluate_all("nodes => nodes.map(n => n.dataset.articleId)")
    assert ids == [r["article_id"] for r in expected["results"]] and len(ids) == len(set(ids))
    heading = {"en": "Articles", "ru": "Статьи"}[lang]
    expect(page.locator(".articles h2")).to_have_text(heading)
    # Each snippet is the API's, within its budget, with "…" where the passage goes on.
    snippets = page.locator("li.result > .snippet").all_text_contents()
    for text, result in zip(snippets, expected["results"], strict=True):
        snippet = result["snippet"]
        shown = ("… " if snippet["cut_before"] else "") + snippet["text"] + (" …" if snippet["cut_after"] else "")
        assert text == shown
        assert len(snippet["text"]) <= MAX_SNIPPET_CHARS
    # The article about the JITRI visit has its words marked.
    first = items.first
    marked = {m.lower() for m in first.locator(".snippet mark.term").all_text_contents()}
    assert "jitri" in marked, marked
    if size == "desktop":
        # Two or three lines, four at most where the snippet is cut with an ellipsis.
        lines = page.locator("li.result > .snippet").evaluate_all(
            "nodes => nodes.map(n => Math.round(n.getBoundingClientRect().height"
            " / parseFloat(getComputedStyle(n).lineHeight)))"
        )
        assert max(lines) <= 4, lines
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    screenshot(page, f"results-{lang}-{size}.png", full_page=True)
    assert watched.errors == [] and watched.dialogs == []


def test_the_other_passages_of_an_article_expand_in_place_and_each_opens_its_span(
    watched: Watched, service: Service
) -> None:
    page = watched.page
    expected: Any = service.get("/search", q=JITRI, group="article", k=10)
    result = next(r for r in expected["results"] if r["more_count"] > 0)
    search(page, service, q=JITRI)
    item = page.locator(f'li.result[data-article-id="{result["article_id"]}"]')
    toggle = item.locator("button.more-toggle")
    more = "more passage" if result["more_count"] == 1 else "more passages"
    expect(toggle).to_have_text(f"{result['more_count']} {more} from this article")
    expect(item.locator(".more-passages")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    extra = item.locator(".more-passage")
    expect(extra).to_have_count(result["more_count"])
    assert extra.evaluate_all("nodes => nodes.map(n => n.dataset.passageId)") == [
        m["passage_id"] for m in result["more"]
    ]
    # The full passage is one click away, marked exactly in the article.
    match = result["more"][0]
    extra.first.locator("a.passage-link").click()
    marks = page.locator("mark.cited")
    expect(marks.first).to_be_visible()
    starts = [int(v) for v in marks.evaluate_all("nodes => nodes.map(n => n.dataset.start)")]
    ends = [int(v) for v in marks.evaluate_all("nodes => nodes.map(n => n.dataset.end)")]
    assert (starts[0], ends[-1]) == (match["start"], match["end"])


def test_a_bare_keyword_gets_results_and_no_answer_card(watched: Watched, service: Service) -> None:
    page = watched.page
    search(page, service, q="JITRI")
    expect(page.locator("li.result").first).to_be_visible()
    expect(page.locator(".answer")).to_have_count(0)
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ articles? found\.$"))


def test_the_no_answer_sentence_is_said_once(watched: Watched, service: Service) -> None:
    page = watched.page
    search(page, service, q="What is the recipe for borscht?")
    expect(page.locator(".answer.abstained")).to_be_visible()
    assert page.locator("main").inner_text().count("do not answer") == 1


def test_nothing_matching_says_so_in_plain_words(watched: Watched, service: Service) -> None:
    page = watched.page
    # A Russian question ranked by keywords alone, over the English articles only: nothing shares a word.
    search(page, service, q="Когда открылось представительство в Шанхае?", **{"in": "en"})
    expect(page.locator("li.result")).to_have_count(0)
    expect(page.locator(".articles .empty")).to_have_text(
        "No article matches this search. Try other words, or remove the filters."
    )
    expect(page.locator("#status")).to_have_text("No article matches.")
    # A date range holding no article: no "closest passages" claim anywhere.
    search(page, service, q=JITRI, **{"from": "1990-01-01", "to": "1990-12-31"})
    expect(page.locator(".articles .empty")).to_be_visible()
    expect(page.locator(".abstain-text")).to_have_text("The articles do not answer this question.")
    assert "listed below" not in page.locator("main").inner_text()


def test_facets_narrow_by_year_and_language(watched: Watched, service: Service) -> None:
    page = watched.page
    expected: Any = service.get("/search", q=BROAD, group="article", k=10)
    year = next(f for f in expected["facets"]["year"] if f["value"] != "undated")
    search(page, service, q=BROAD)
    page.locator(".facet-year a.facet-link", has_text=f"{year['value']} ({year['count']})").click()
    page.wait_for_url(re.compile(rf"from={year['value']}-01-01"))
    settled(page)
    expect(page.locator("li.result")).to_have_count(year["count"])
    dates = page.locator("li.result time").evaluate_all("nodes => nodes.map(n => n.dateTime)")
    assert dates and all(d.startswith(year["value"]) for d in dates), dates
    expect(page.get_by_label("From")).to_have_value(f"{year['value']}-01-01")
    expect(page.locator(".facet-year a[aria-current='true']")).to_contain_text(year["value"])

    page.locator(".facet-year a.facet-link", has_text="any").click()
    page.wait_for_function("() => !location.search.includes('from=')")
    settled(page)
    russian = next(f for f in expected["facets"]["lang"] if f["value"] == "ru")
    page.locator(".facet-lang a.facet-link", has_text=f"Russian ({russian['count']})").click()
    page.wait_for_url(re.compile(r"in=ru"))
    settled(page)
    expect(page.locator("li.result")).to_have_count(russian["count"])
    ids = page.locator("li.result").evaluate_all("nodes => nodes.map(n => n.dataset.articleId)")
    assert all(i.startswith("ru_") for i in ids), ids
    expect(page.get_by_label("Articles in")).to_have_value("ru")
    assert parse_qs(urlsplit(page.url).query)["in"] == ["ru"]
    # The back button returns to the wider search.
    page.go_back()
    page.wait_for_function("() => !location.search.includes('in=')")
    settled(page)
    expect(page.locator("li.result")).to_have_count(len(expected["results"]))


def test_more_results_appends_the_next_page(watched: Watched, service: Service) -> None:
    page = watched.page
    first: Any = service.get("/search", q=BROAD, group="article", k=10)
    assert first["next_offset"] == 10 and first["total"] > 10  # the premise: more than one page
    search(page, service, q=BROAD)
    expect(page.locator("li.result")).to_have_count(10)
    page.get_by_role("button", name="More results").click()
    expect(page.locator("li.result")).to_have_count(first["total"])
    ids = page.locator("li.result").evaluate_all("nodes => nodes.map(n => n.dataset.articleId)")
    assert len(ids) == len(set(ids))
    expect(page.get_by_role("button", name="More results")).to_have_count(0)
    # Focus moves to the first new result, for keyboard and screen reader users.
    assert page.evaluate("() => document.activeElement.closest('li.result').dataset.articleId") == ids[10]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_errors_are_sentences_in_the_page_language(browser: Browser, service: Service, lang: str) -> None:
    context, watched = open_page(browser, locale=LOCALES[lang])
    page = watched.page
    try:
        search(page, service, q=JITRI, **{"from": "2025-02-30"})
        sentence = {
            "en": "The start date is not a real date. Pick one from the calendar.",
            "ru": "Начальная дата не существует. Выберите её в календаре.",
        }[lang]
        expect(page.locator("#results .error")).to_have_text(sentence)
        text = page.locator("main").inner_text()
        assert "invalid_request" not in text and "date_from" not in text

        page.route("**/search?*", lambda route: route.abort())
        search(page, service, q="JITRI")
        unreachable = {
            "en": "The search service could not be reached. Check the connection and try again.",
            "ru": "Не удалось связаться со службой поиска. Проверьте подключение и попробуйте ещё раз.",
        }[lang]
        expect(page.locator("#results .error")).to_have_text(unreachable)
    finally:
        context.close()


@pytest.mark.parametrize(
    ("lang", "heading", "words"),
    [("en", "Article not found", "No article with this id"), ("ru", "Статья не найдена", "Статьи с таким")],
)
def test_an_unknown_article_is_a_styled_translated_404(
    watched: Watched, service: Service, lang: str, heading: str, words: str
) -> None:
    page = watched.page  # an English browser: ?lang=ru wins
    response = page.goto(f"{service.origin}/read/no_such_article?lang={lang}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator("#article-body")).to_contain_text(words)
    expect(page.locator(".site-header")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    search_link = page.locator("a.search-link")
    assert (search_link.get_attribute("href") or "").startswith("/")
