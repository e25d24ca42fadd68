"""The search page and the article view, used the way a person uses them, in headless Chromium."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import HOSTILE_ID, Service, Watched, open_page, screenshot

QUESTION = "Where will the business accelerator be located?"
DIGEST = "002_a033d0d0b69a656a"
UNANSWERABLE = "What is the recipe for borscht?"
LABEL = "Question or search words"


def ask(watched: Watched, service: Service, question: str) -> None:
    page = watched.page
    page.goto(f"{service.origin}/")
    page.get_by_label(LABEL).fill(question)
    page.get_by_label(LABEL).press("Enter")
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")
    expect(page.locator(".answer")).to_be_visible()


def test_question_shows_the_cited_answer_and_the_article_highlights_it(watched: Watched, service: Service) -> None:
    page = watched.page
    expected: Any = service.get("/ask", q=QUESTION)
    answer = expected["answer"]
    assert answer is not None and answer["article_id"] == DIGEST

    ask(watched, service, QUESTION)
    card = page.locator(".answer")
    expect(card.locator(".answer-text")).to_have_text(answer["text"])
    link = card.locator("a.citation-link")
    expect(link).to_have_text(answer["title"])
    expect(link).to_have_attribute("data-article-id", DIGEST)
    assert "September" in answer["title"] and answer["date"].startswith("2020-")
    expect(page.locator("#status")).to_contain_text("Answer found")
    assert parse_qs(urlsplit(page.url).query) == {"q": [QUESTION]}
    screenshot(page, "search-page.png")  # the README's picture (docs/search-page.png)
    screenshot(page, "search-page-full.png", full_page=True)

    link.click()
    page.wait_for_url(re.compile(rf"/read/{DIGEST}\?"))
    mark = page.locator("mark.cited")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text(answer["text"])
    article: Any = service.get(f"/articles/{DIGEST}")
    assert article["body"][answer["start"] : answer["end"]] == answer["text"]
    expect(mark).to_have_attribute("data-start", str(answer["start"]))
    expect(mark).to_have_attribute("data-end", str(answer["end"]))
    expect(mark).to_be_in_viewport()
    expect(mark).to_be_focused()
    expect(page.locator("h1")).to_have_text(article["title"])
    # The whole article is there, not just the span: every paragraph's text is in the body.
    paragraphs = page.locator("#article-body p").all_text_contents()
    assert len(paragraphs) > 3 and all(text in article["body"] for text in paragraphs)
    screenshot(page, "article-view.png")

    page.go_back()
    expect(page.get_by_label(LABEL)).to_have_value(QUESTION)
    expect(page.locator(".answer-text")).to_have_text(answer["text"])
    assert watched.dialogs == [] and watched.errors == []


def test_articles_are_listed_in_rank_order_with_query_terms_marked(watched: Watched, service: Service) -> None:
    page = watched.page
    expected: Any = service.get("/search", q=QUESTION, k=10, group="article")
    ask(watched, service, QUESTION)
    items = page.locator("li.result")
    expect(items).to_have_count(len(expected["results"]))
    ids = items.evaluate_all("nodes => nodes.map(n => n.dataset.passageId)")
    assert ids == [r["passage_id"] for r in expected["results"]]
    marked = {text.lower() for text in page.locator("li.result mark.term").all_text_contents()}
    # Marked by stem, as the keyword index reads words: "acceleration" shares "accelerator"'s.
    assert marked and all(word.startswith(("business", "acceler", "locat")) for word in marked), marked

    # A result's link opens the article with exactly its best passage's span marked.
    first = expected["results"][0]
    page.locator("li.result a.result-link").first.click()
    marks = page.locator("mark.cited")
    expect(marks.first).to_be_visible()
    starts = [int(v) for v in marks.evaluate_all("nodes => nodes.map(n => n.dataset.start)")]
    ends = [int(v) for v in marks.evaluate_all("nodes => nodes.map(n => n.dataset.end)")]
    assert (starts[0], ends[-1]) == (first["start"], first["end"])
    article: Any = service.get(f"/articles/{first['article_id']}")
    passage = article["body"][first["start"] : first["end"]]
    assert "".join(marks.all_text_contents()) == re.sub(r"\n[ \t]*\n\s*", "", passage)


def test_an_unanswerable_question_says_so_and_still_lists_passages(watched: Watched, service: Service) -> None:
    page = watched.page
    expected: Any = service.get("/ask", q=UNANSWERABLE)
    assert expected["abstained"] is True  # the premise of this test
    ask(watched, service, UNANSWERABLE)
    expect(page.locator(".answer.abstained")).to_contain_text("The articles do not answer this question")
    # The answerer's own reason, in plain words, as /ask gave it.
    expect(page.locator(".abstain-reason")).to_have_text(f"Why: {expected['reason']}.")
    # Said once, in the card; the status line counts the results.
    expect(page.locator("#status")).not_to_contain_text("do not answer")
    expect(page.locator("li.result")).not_to_have_count(0)


def test_the_address_holds_the_search_for_sharing_and_the_back_button(watched: Watched, service: Service) -> None:
    page = watched.page
    # A shared link runs its search on arrival, filters included.
    page.goto(f"{service.origin}/?q=accelerator&from=2020-01-01&to=2020-12-31")
    expect(page.get_by_label(LABEL)).to_have_value("accelerator")
    expect(page.get_by_label("From")).to_have_value("2020-01-01")
    expect(page.get_by_label("To")).to_have_value("2020-12-31")
    _wait_for_hits_dated_2020(page)

    page.get_by_label(LABEL).fill(QUESTION)
    page.get_by_label("From").fill("")
    page.get_by_label("To").fill("")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=Where"))
    expect(page.locator(".answer-text")).to_be_visible()

    page.go_back()
    page.wait_for_url(re.compile(r"q=accelerator"))
    expect(page.get_by_label(LABEL)).to_have_value("accelerator")
    expect(page.get_by_label("From")).to_have_value("2020-01-01")
    _wait_for_hits_dated_2020(page)


def _wait_for_hits_dated_2020(page: Page) -> None:
    # The previous results stay on screen (aria-busy) until the new search returns, so wait
    # for the settled list rather than the first visible hit; a timeout fails the test.
    page.wait_for_function(
        """() => {
            const results = document.getElementById("results");
            const dates = [...results.querySelectorAll("li.result time")].map((n) => n.dateTime);
            return results.getAttribute("aria-busy") === "false" && dates.length > 0
                && dates.every((d) => d >= "2020-01-01" && d <= "2020-12-31");
        }"""
    )


def test_a_date_range_excluding_everything_lists_nothing(watched: Watched, service: Service) -> None:
    page = watched.page
    page.goto(f"{service.origin}/?{urlencode({'q': QUESTION, 'from': '1990-01-01', 'to': '1990-12-31'})}")
    expect(page.locator(".articles .empty")).to_have_text(
        "No article matches this search. Try other words, or remove the filters."
    )
    expect(page.locator(".answer.abstained")).to_be_visible()


def test_markup_in_a_query_or_an_article_is_shown_as_text(watched: Watched, service: Service) -> None:
    page = watched.page
    # The question mark makes it a question: the answer card shows, and must render markup as text too.
    query = "<script>alert(1)</script><img src=x onerror=alert(2)> quarantine dormitory laboratory?"
    ask(watched, service, query)
    expect(page.get_by_label(LABEL)).to_have_value(query)
    hostile = page.locator(f'li.result:has(a[href*="/read/{HOSTILE_ID}"])').first
    expect(hostile.locator(".result-title")).to_contain_text("<img src=x onerror=")
    expect(hostile.locator(".snippet")).to_contain_text("<script>window.pwned='body'</script>")
    assert page.locator("#results img, #results script").count() == 0
    hostile.locator("a.result-link").click()
    expect(page.locator("h1")).to_contain_text("<b>notice</b>")
    expect(page.locator("#article-body")).to_contain_text("<script>")
    assert page.locator("#article-body script, main img").count() == 0
    assert page.evaluate("() => window.pwned") is None
    assert watched.dialogs == [] and watched.errors == []


def test_keyboard_focus_order_follows_the_page(watched: Watched, service: Service) -> None:
    page = watched.page
    page.goto(f"{service.origin}/?{urlencode({'q': QUESTION})}")
    expect(page.locator(".answer")).to_be_visible()
    page.locator("body").focus()
    order: list[str] = []
    # Chromium stops on each part (day, month, year) of a date input, hence the de-duplication.
    while len(order) < 11:
        page.keyboard.press("Tab")
        name = page.evaluate("() => { const e = document.activeElement; return e.id || e.className || e.tagName; }")
        if not order or order[-1] != name:
            order.append(name)
    # The language switch's links sit in the header, after the brand link.
    # The answer, then the facets that narrow the list, then the list.
    expected = ["skip-link", "A", "lang-link", "q", "BUTTON", "from", "to", "in", "citation-link", "facet-link"]
    assert order[:10] == expected and order[10] in ("facet-link", "result-link"), order
    page.get_by_label(LABEL).focus()
    page.get_by_label(LABEL).fill("accelerator")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=accelerator"))


# WCAG 2 contrast ratio between an element's text colour and the first opaque background behind it.
CONTRAST_JS = """node => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = c => { const [r, g, b] = c.map(channel); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let bg = node;
  let colour = "rgb(255, 255, 255)";
  for (; bg; bg = bg.parentElement) {
    const value = getComputedStyle(bg).backgroundColor;
    if (value !== "transparent" && !/rgba\\(.*, 0\\)$/.test(value)) { colour = value; break; }
  }
  const a = lum(rgb(getComputedStyle(node).color));
  const b = lum(rgb(colour));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""
CONTRAST_SELECTORS = [
    "h1", ".query-label", "button[type=submit]", "#status", ".answer-text", ".citation a", ".confidence",
    ".result-link", ".meta time", ".snippet", "mark.term", ".filters legend", ".tagline", ".more-toggle",
    ".facet-link", ".passage-link", ".result-lang",
]  # fmt: skip


def _contrast(page: Page, selector: str) -> float:
    return float(page.locator(selector).first.evaluate(CONTRAST_JS))


def test_text_meets_wcag_aa_contrast(watched: Watched, service: Service) -> None:
    page = watched.page
    page.goto(f"{service.origin}/?{urlencode({'q': QUESTION})}")
    expect(page.locator("mark.term").first).to_be_visible()
    ratios = {selector: round(_contrast(page, selector), 2) for selector in CONTRAST_SELECTORS}
    assert {s: r for s, r in ratios.items() if r < 4.5} == {}, ratios


def test_phone_width_has_no_sideways_scrolling(browser: Browser, service: Service) -> None:
    context, watched = open_page(browser, width=360, height=740)
    page = watched.page
    try:
        page.goto(f"{service.origin}/?{urlencode({'q': QUESTION})}")
        expect(page.locator(".answer-text")).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        box = page.get_by_label(LABEL).bounding_box()
        assert box is not None and box["width"] >= 250
        screenshot(page, "search-page-phone.png")
    finally:
        context.close()


def test_every_request_stays_on_the_service(watched: Watched, service: Service) -> None:
    ask(watched, service, QUESTION)
    watched.page.locator("a.citation-link").click()
    expect(watched.page.locator("mark.cited")).to_be_visible()
    assert watched.requests and all(url.startswith(service.origin + "/") for url in watched.requests), watched.requests


def test_an_unknown_article_or_span_is_reported_not_guessed(watched: Watched, service: Service) -> None:
    page = watched.page
    page.goto(f"{service.origin}/read/no_such_article?start=0&end=10")
    expect(page.locator("h1")).to_have_text("Article not found")
    page.goto(f"{service.origin}/read/{DIGEST}?start=10&end=999999")
    expect(page.locator("#cite-note")).to_contain_text("not inside this article")
    expect(page.locator("mark.cited")).to_have_count(0)
    expect(page.locator("#article-body p").first).to_be_visible()
