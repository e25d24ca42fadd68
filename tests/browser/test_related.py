"""The article view lists related news: the API's other stories, in order, each a link to its own view."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Service, open_page

HEADING = {"en": "Related news", "ru": "Похожие новости"}
LOCALES = {"en": "en-GB", "ru": "ru-RU"}
ARTICLES = {"en": "001_beaca05ca1d529df", "ru": "ru_002_summer_school"}


@pytest.mark.parametrize("lang", list(LOCALES))
def test_the_article_view_lists_related_news(lang: str, service: Service, browser: Browser) -> None:
    context, watched = open_page(browser, width=1100, height=900, locale=LOCALES[lang])
    try:
        page = watched.page
        article_id = ARTICLES[lang]
        expected: Any = service.get(f"/articles/{article_id}/related", k=5)
        assert expected["related"]
        page.goto(f"{service.origin}/read/{article_id}")
        section = page.locator("section#related")
        expect(section).to_be_visible()
        expect(section.locator("h2")).to_have_text(HEADING[lang])
        items = section.locator("li.related-item")
        expect(items).to_have_count(len(expected["related"]))
        shown = items.evaluate_all("nodes => nodes.map(n => n.dataset.articleId)")
        assert shown == [item["article_id"] for item in expected["related"]] and article_id not in shown
        # The article's own date carries its age; following a related story opens its view.
        expect(page.locator("#article-meta .age")).to_have_count(1)
        items.first.locator("a.related-link").click()
        page.wait_for_url(f"**/read/{expected['related'][0]['article_id']}")
        expect(page.locator("#article-title")).to_have_text(expected["related"][0]["title"])
        assert watched.errors == []
    finally:
        context.close()
