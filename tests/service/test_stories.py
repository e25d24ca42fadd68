"""Versions of one story in the API: one result per story in the query's language, ``also_in``, related news."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from indexer.build.builder import BuildOptions, build_index
from indexer.store.loaded import LoadedIndex
from indexer.store.stories import StoryMap
from tests.fakes import FakeEncoder
from tests.service.conftest import ClientFactory

# The Russian version of the tiny archive's Shanghai story.
RUSSIAN_SHANGHAI = (
    "Представительство открылось в Шанхае\n\n2 июня 2023 Международная деятельность 12\n\n"
    "Университет открыл представительство в Шанхае в апреле 2016 года. "
    "Это было первое представительство российского университета в Китае.\n\nВерсия для печати"
)
STORY = ("a_shanghai", "a_shanghai_ru")


@pytest.fixture
def tiny_index(tiny_seeds: Path, tmp_path: Path, fake_encoder: FakeEncoder) -> Path:
    (tiny_seeds / "a_shanghai_ru.txt").write_text(RUSSIAN_SHANGHAI, encoding="utf-8")
    out = tmp_path / "index"
    build_index(tiny_seeds, out, fake_encoder, BuildOptions(chunk_tokens=32, overlap_tokens=8))
    return out


def with_story(index: LoadedIndex) -> LoadedIndex:
    return dataclasses.replace(index, stories=StoryMap.from_groups([STORY]))


@pytest.fixture
def storied(make_client: ClientFactory) -> TestClient[Litestar]:
    return make_client(app_kwargs={"prepare_index": with_story})


def grouped(client: TestClient[Litestar], q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/search", params={"q": q, "group": "article", "k": 50, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_alone_both_versions_are_results_with_nothing_in_also_in(client: TestClient[Litestar]) -> None:
    body = grouped(client, "office Shanghai 2016 представительство Шанхае")
    ids = [r["article_id"] for r in body["results"]]
    assert set(STORY) <= set(ids)
    assert all(r["also_in"] == [] for r in body["results"])


@pytest.mark.parametrize(
    ("query", "shown", "other", "other_lang"),
    [
        ("representative office in Shanghai", "a_shanghai", "a_shanghai_ru", "ru"),
        ("представительство в Шанхае", "a_shanghai_ru", "a_shanghai", "en"),
    ],
)
def test_a_story_is_one_result_in_the_querys_language_with_the_other_version_linked(
    storied: TestClient[Litestar], client: TestClient[Litestar], query: str, shown: str, other: str, other_lang: str
) -> None:
    body = grouped(storied, query)
    ids = [r["article_id"] for r in body["results"]]
    assert shown in ids and other not in ids
    result = body["results"][ids.index(shown)]
    article = storied.get(f"/articles/{other}").json()
    assert result["also_in"] == [
        {"article_id": other, "lang": other_lang, "title": article["title"], "url": None, "date": article["date"]}
    ]
    assert [r["rank"] for r in body["results"]] == list(range(1, len(ids) + 1))
    # Totals and facets count the story once; without the story both versions counted.
    alone = grouped(client, query)
    both = {r["article_id"] for r in alone["results"]} >= set(STORY)
    assert body["total"] == alone["total"] - (1 if both else 0)
    assert sum(f["count"] for f in body["facets"]["lang"]) == body["total"]
    passages = storied.get("/search", params={"q": query, "k": 50}).json()
    assert passages["facets"] == body["facets"]


def test_pages_of_stories_follow_one_another(storied: TestClient[Litestar]) -> None:
    query = "university office Shanghai delegation summit"
    whole = [r["article_id"] for r in grouped(storied, query)["results"]]
    paged: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = grouped(storied, query, k=1, offset=offset)
        paged += [r["article_id"] for r in page["results"]]
        offset = page["next_offset"]
    assert paged == whole and len(set(paged)) == len(paged)


def test_related_news_never_lists_a_version_of_the_same_story(storied: TestClient[Litestar]) -> None:
    # (tests/indexer/search/test_related.py shows a version that would be listed without its story.)
    for article_id, other in (STORY, STORY[::-1]):
        related = storied.get(f"/articles/{article_id}/related", params={"k": 20}).json()["related"]
        ids = [item["article_id"] for item in related]
        assert other not in ids and article_id not in ids
    english = storied.get("/articles/a_shanghai/related", params={"k": 20}).json()["related"]
    assert {item["article_id"] for item in english} == {"b_summit", "c_weatherless"}


def test_the_answer_card_names_the_other_versions_of_its_story(storied: TestClient[Litestar]) -> None:
    body = storied.get("/ask", params={"q": "When did the university open its office in Shanghai?"}).json()
    answer = body["answer"]
    assert answer is not None and answer["article_id"] in STORY
    other = STORY[1 - STORY.index(answer["article_id"])]
    assert [v["article_id"] for v in answer["also_in"]] == [other]


def test_an_article_names_the_other_versions_of_its_story(
    storied: TestClient[Litestar], client: TestClient[Litestar]
) -> None:
    english = storied.get("/articles/a_shanghai").json()
    assert [(v["article_id"], v["lang"]) for v in english["also_in"]] == [("a_shanghai_ru", "ru")]
    russian = storied.get("/articles/a_shanghai_ru").json()
    assert [(v["article_id"], v["lang"]) for v in russian["also_in"]] == [("a_shanghai", "en")]
    assert storied.get("/articles/b_summit").json()["also_in"] == []
    assert client.get("/articles/a_shanghai").json()["also_in"] == []


def test_the_openapi_document_lists_also_in(storied: TestClient[Litestar]) -> None:
    schemas = storied.get("/schema/openapi.json").json()["components"]["schemas"]
    article = next(s for name, s in schemas.items() if name.endswith("ArticleResultOut"))
    answer = next(s for name, s in schemas.items() if name.endswith("AnswerOut"))
    assert "also_in" in article["properties"] and "also_in" in answer["properties"]
    version = next(s for name, s in schemas.items() if name.endswith("VersionOut"))
    assert set(version["properties"]) == {"article_id", "lang", "title", "url", "date"}
