"""A story told in English and Russian is one card in the query's language, the other version a link away."""

from __future__ import annotations

import dataclasses
import functools
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, expect

from indexer.build.builder import BuildOptions, build_index
from indexer.store.loaded import LoadedIndex
from indexer.store.stories import StoryMap
from service.app import create_app
from service.cli import server_options
from service.config import Settings
from tests.browser.conftest import RUSSIAN_ARTICLES, open_page, screenshot
from tests.browser.test_results import settled
from tests.conftest import REPO, SEEDS
from tests.fakes import FakeEncoder

CROSSLANG = REPO / "eval" / "crosslang"
LOCALES = {"en": "en-GB", "ru": "ru-RU"}
LABEL = {"en": "Also in:", "ru": "Также на:"}
LANGUAGE = {"en": {"en": "English", "ru": "Russian"}, "ru": {"en": "английском", "ru": "русском"}}
STORY = {"en": "en_003_shanghai_office", "ru": "ru_003_shanghai_office"}
QUERIES = {
    "en": "When did the Shanghai Representative Office open?",
    "ru": "Когда открылось представительство в Шанхае?",
}


def with_stories(stories: StoryMap, index: LoadedIndex) -> LoadedIndex:
    return dataclasses.replace(index, stories=stories)


@pytest.fixture(scope="module")
def storied_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seeds, the Russian articles and their English versions, served with the story groups, in-process."""
    seeds = tmp_path_factory.mktemp("stories") / "seeds"
    shutil.copytree(SEEDS, seeds)
    for folder in (RUSSIAN_ARTICLES, CROSSLANG / "articles"):
        for article in sorted(folder.glob("*.txt")):
            shutil.copy(article, seeds / article.name)
    index = seeds.parent / "index"
    encoder = FakeEncoder()
    build_index(seeds, index, encoder, BuildOptions())
    stories = StoryMap.from_json((CROSSLANG / "stories.json").read_bytes())
    app = create_app(Settings(index_dir=index), encoder=encoder, prepare_index=functools.partial(with_stories, stories))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **server_options()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{port}"
    for _ in range(1000):
        try:
            if httpx.get(f"{origin}/ready").status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    yield origin
    server.should_exit = True
    thread.join(timeout=30)


@pytest.mark.parametrize("ui", list(LOCALES))
@pytest.mark.parametrize("query_lang", list(QUERIES))
def test_one_card_per_story_in_the_querys_language_with_the_other_version_linked(
    ui: str, query_lang: str, storied_service: str, browser: Browser
) -> None:
    other_lang = "ru" if query_lang == "en" else "en"
    context, watched = open_page(browser, locale=LOCALES[ui])
    try:
        page = watched.page
        page.goto(f"{storied_service}/?q={QUERIES[query_lang]}")
        settled(page)
        cards = page.locator("li.result")
        ids = cards.evaluate_all("nodes => nodes.map(n => n.dataset.articleId)")
        assert STORY[query_lang] in ids and STORY[other_lang] not in ids, ids
        card = page.locator(f'li.result[data-article-id="{STORY[query_lang]}"]')
        also = card.locator("p.also-in")
        expect(also).to_have_count(1)
        expect(also.locator(".also-in-label")).to_have_text(LABEL[ui])
        link = also.locator("a.also-in-link")
        expect(link).to_have_count(1)
        expect(link).to_have_text(LANGUAGE[ui][other_lang])
        expect(link).to_have_attribute("hreflang", other_lang)
        # Every story is one card; a card names other versions exactly when its story has them.
        stories = StoryMap.from_json((CROSSLANG / "stories.json").read_bytes())
        assert len({stories.story_of(i) for i in ids}) == len(ids)
        named = cards.evaluate_all("nodes => nodes.map(n => n.querySelector('p.also-in') !== null)")
        assert named == [len(stories.versions(i)) > 1 for i in ids]
        screenshot(page, f"stories-{ui}-{query_lang}.png")
        link.click()
        page.wait_for_url(f"**/read/{STORY[other_lang]}*")
        title = httpx.get(f"{storied_service}/articles/{STORY[other_lang]}").json()["title"]
        expect(page.locator("#article-title")).to_have_text(title)
        # The version's own view links back to the version the card showed.
        back = page.locator("#article p.also-in a.also-in-link")
        expect(back).to_have_text(LANGUAGE[ui][query_lang])
        expect(back).to_have_attribute("data-article-id", STORY[query_lang])
        assert watched.errors == []
    finally:
        context.close()
