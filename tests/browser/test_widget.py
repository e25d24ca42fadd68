"""The widget embedded in intranet pages on other origins: the script snippet and the iframe."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import HOSTILE_ID, HostSite, Service, Watched, open_page, screenshot

QUESTION = "Where will the business accelerator be located?"
DIGEST = "002_a033d0d0b69a656a"
LABEL = "Search university news"

# As careless as intranet themes get: if any of this reached the widget, the tests would see it.
HOSTILE_CSS = """
  * { font-family: "Comic Sans MS", cursive !important; color: rgb(255, 0, 0) !important; }
  input, button { display: none !important; }
  mark { background: rgb(0, 0, 0) !important; }
  h2 { color: rgb(0, 128, 0) !important; text-transform: uppercase; }
  p { margin: 80px !important; }
"""


def host_page(title: str, body: str, *, css: str = "") -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{css}</style></head><body><h1>{title}</h1>"
        '<h2 id="host-heading">Latest news</h2><p>Host text with a <mark id="host-mark">host mark</mark>.</p>'
        f"{body}</body></html>"
    )


def snippet(service: Service) -> str:
    """The snippet docs/widget.md tells editors to paste."""
    return (
        '<div id="search" data-polysearch></div>'
        f'<script src="{service.origin}/widget.js" data-endpoint="{service.origin}"></script>'
    )


def iframe(service: Service) -> str:
    return (
        f'<iframe id="embed" src="{service.origin}/embed" title="University news search" '
        'width="600" height="760" style="border:0"></iframe>'
    )


def computed(page: Page, selector: str, prop: str) -> str:
    return str(page.locator(selector).first.evaluate(f"node => getComputedStyle(node).{prop}"))


def test_widget_snippet_answers_on_another_origin(watched: Watched, service: Service, allowed_host: HostSite) -> None:
    page = watched.page
    expected: Any = service.get("/ask", q=QUESTION)
    answer = expected["answer"]
    url = allowed_host.write("widget.html", host_page("Intranet home", snippet(service), css=HOSTILE_CSS))
    assert not url.startswith(service.origin)
    page.goto(url)
    box = page.get_by_label(LABEL)
    expect(box).to_be_visible()
    assert page.locator("#search").evaluate("node => node.shadowRoot !== null && node.children.length === 0")
    box.fill(QUESTION)
    box.press("Enter")
    card = page.locator("#search .answer")
    expect(card.locator(".answer-text")).to_have_text(answer["text"])
    link = card.locator("a.citation-link")
    expect(link).to_have_attribute("data-article-id", DIGEST)
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{service.origin}/read/{DIGEST}?start={answer['start']}&end={answer['end']}")
    expect(link).to_have_attribute("target", "_blank")
    expect(page.locator("#search li.hit").first).to_be_visible()
    screenshot(page, "widget.png", full_page=True)

    # The host's stylesheet does not reach inside the widget ...
    assert "Comic" not in computed(page, "#search .answer-text", "fontFamily")
    assert computed(page, "#search .answer-text", "color") != "rgb(255, 0, 0)"
    assert computed(page, "#search button", "display") != "none"
    assert computed(page, "#search mark.term", "backgroundColor") == "rgb(255, 230, 128)"
    assert computed(page, "#search .passage-text", "marginTop") == "0px"
    # ... and the widget adds nothing to the host's.
    assert computed(page, "#host-heading", "color") == "rgb(0, 128, 0)"
    assert computed(page, "#host-mark", "backgroundColor") == "rgb(0, 0, 0)"
    assert page.evaluate("() => [document.styleSheets.length, document.adoptedStyleSheets.length]") == [1, 0]

    with page.expect_popup() as popup_info:
        link.click()
    article = popup_info.value
    mark = article.locator("mark.cited")
    expect(mark).to_have_text(answer["text"])
    expect(mark).to_be_in_viewport()
    assert watched.dialogs == [] and watched.errors == []


def test_widget_defines_no_globals(browser: Browser, service: Service, allowed_host: HostSite) -> None:
    bare = allowed_host.write("bare.html", host_page("Bare", ""))
    with_widget = allowed_host.write("globals.html", host_page("Widget", snippet(service)))
    context, watched = open_page(browser)
    page = watched.page
    try:
        page.goto(bare)
        before = set(page.evaluate("() => Object.keys(window)"))
        page.goto(with_widget)
        expect(page.get_by_label(LABEL)).to_be_visible()
        after = set(page.evaluate("() => Object.keys(window)"))
        assert after - before == set()
    finally:
        context.close()


def test_widget_shows_markup_as_text(watched: Watched, service: Service, allowed_host: HostSite) -> None:
    page = watched.page
    page.goto(allowed_host.write("widget-xss.html", host_page("Intranet", snippet(service))))
    query = "<img src=x onerror=alert(1)><script>alert(2)</script> quarantine dormitory laboratory"
    page.get_by_label(LABEL).fill(query)
    page.get_by_label(LABEL).press("Enter")
    hostile = page.locator(f'#search li.hit:has(a[href*="/read/{HOSTILE_ID}"])').first
    expect(hostile.locator(".hit-title")).to_contain_text("<img src=x onerror=")
    expect(hostile.locator(".passage-text")).to_contain_text("<script>")
    assert page.locator("#search img, #search script").count() == 0
    assert page.evaluate("() => window.pwned") is None
    assert watched.dialogs == [] and watched.errors == []


def test_iframe_embed_answers_on_another_origin(watched: Watched, service: Service, allowed_host: HostSite) -> None:
    page = watched.page
    expected: Any = service.get("/ask", q=QUESTION)
    page.goto(allowed_host.write("iframe.html", host_page("Intranet (no scripts)", iframe(service), css=HOSTILE_CSS)))
    frame = page.frame_locator("#embed")
    frame.get_by_label(LABEL).fill(QUESTION)
    frame.get_by_label(LABEL).press("Enter")
    expect(frame.locator(".answer-text")).to_have_text(expected["answer"]["text"])
    expect(frame.locator("a.citation-link")).to_have_attribute("target", "_blank")
    expect(frame.locator("li.hit").first).to_be_visible()
    screenshot(page, "widget-iframe.png", full_page=True)
    assert watched.dialogs == [] and watched.errors == []


def test_an_untrusted_origin_can_neither_frame_nor_script_the_service(
    watched: Watched, service: Service, stranger_host: HostSite
) -> None:
    page = watched.page
    blocked = re.compile(r"frame-ancestors|Refused to frame", re.IGNORECASE)
    with page.expect_console_message(lambda message: bool(blocked.search(message.text))):
        page.goto(stranger_host.write("iframe.html", host_page("Elsewhere", iframe(service))))
    frame = page.locator("#embed").element_handle().content_frame()
    assert frame is not None and not frame.url.startswith(service.origin)

    with page.expect_console_message(lambda message: "polysearch widget: could not load" in message.text):
        page.goto(stranger_host.write("widget.html", host_page("Elsewhere", snippet(service))))
    assert page.locator("#search").evaluate("node => node.shadowRoot") is None


def test_widget_options_pick_the_targets_and_the_number_of_passages(
    watched: Watched, service: Service, allowed_host: HostSite
) -> None:
    page = watched.page
    body = (
        '<section class="news-search" data-k="2" data-label="Find news"></section>'
        '<aside class="news-search" data-k="3"></aside><div data-polysearch id="not-targeted"></div>'
        f'<script src="{service.origin}/widget.js" data-target=".news-search"></script>'
    )
    page.goto(allowed_host.write("options.html", host_page("Options", body)))
    first, second = page.locator("section.news-search"), page.locator("aside.news-search")
    first.get_by_label("Find news").fill("accelerator")
    first.get_by_label("Find news").press("Enter")
    expect(first.locator("li.hit")).to_have_count(2)
    # A bare keyword gets passages and no answer card.
    expect(first.locator(".answer")).to_have_count(0)
    expect(first.locator(".status")).to_have_text("2 passages found.")
    second.get_by_label(LABEL).fill("accelerator")
    second.get_by_label(LABEL).press("Enter")
    expect(second.locator("li.hit")).to_have_count(3)
    # With no data-endpoint the widget calls the origin it was loaded from.
    own_origin = re.compile(rf"^{re.escape(service.origin)}/read/")
    expect(first.locator("a.hit-link").first).to_have_attribute("href", own_origin)
    expect(first.get_by_role("link", name="Open the full search page")).to_have_attribute(
        "href", f"{service.origin}/?q=accelerator"
    )
    assert page.locator("#not-targeted").evaluate("node => node.shadowRoot") is None
