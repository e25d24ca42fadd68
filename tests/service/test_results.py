"""Results by article (`/search?group=article`): snippets, pages, facets, filters; `/ask` alike by GET and POST."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient


def grouped(client: TestClient[Litestar], **params: Any) -> dict[str, Any]:
    response = client.get("/search", params={"group": "article", **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_article_once_with_its_best_passage_and_other_matches(client: TestClient[Litestar]) -> None:
    body = grouped(client, q="university delegation", k=50)
    passages = client.get("/search", params={"q": "university delegation", "k": 50}).json()["hits"]
    results = body["results"]
    assert body["hits"] == [] and results
    ids = [r["article_id"] for r in results]
    assert len(ids) == len(set(ids)) == body["total"]
    # In the order of each article's best passage; every matching passage is under its article once.
    first_seen = list(dict.fromkeys(hit["article_id"] for hit in passages))
    assert ids == first_seen and [r["rank"] for r in results] == list(range(1, len(ids) + 1))
    for result in results:
        mine = [hit for hit in passages if hit["article_id"] == result["article_id"]]
        assert result["passage_id"] == mine[0]["passage_id"] and result["score"] == mine[0]["score"]
        assert [m["passage_id"] for m in result["more"]] == [hit["passage_id"] for hit in mine[1:]]
        assert result["more_count"] == len(result["more"])
    assert sum(1 + r["more_count"] for r in results) == len(passages)


def test_snippets_and_highlights_are_exact_spans_of_the_article(client: TestClient[Litestar]) -> None:
    body = grouped(client, q="Who led the delegation?", k=50)
    marked = set()
    for result in body["results"]:
        article = client.get(f"/articles/{result['article_id']}").json()["body"]
        passage = article[result["start"] : result["end"]]
        for match in [result, *result["more"]]:
            snippet = match["snippet"]
            assert article[snippet["start"] : snippet["end"]] == snippet["text"]
            assert match["start"] <= snippet["start"] < snippet["end"] <= match["end"]
            for start, end in snippet["highlights"]:
                assert snippet["start"] <= start < end <= snippet["end"]
                marked.add(article[start:end].lower())
        assert result["snippet"]["text"] in passage
    assert marked == {"delegation", "led"}


def test_pages_of_articles_follow_one_another(client: TestClient[Litestar]) -> None:
    everything = grouped(client, q="university", k=50)
    assert everything["next_offset"] is None and everything["total"] >= 2
    first = grouped(client, q="university", k=1)
    assert first["next_offset"] == 1 and first["total"] == everything["total"]
    pages, offset = [], 0
    while offset is not None:
        page = grouped(client, q="university", k=1, offset=offset)
        pages += page["results"]
        offset = page["next_offset"]
    assert [r["article_id"] for r in pages] == [r["article_id"] for r in everything["results"]]
    assert [r["rank"] for r in pages] == list(range(1, len(pages) + 1))
    assert grouped(client, q="university", offset=40)["results"] == []


def test_passage_pages_follow_one_another_too(client: TestClient[Litestar]) -> None:
    everything = client.get("/search", params={"q": "university", "k": 50}).json()
    second = client.get("/search", params={"q": "university", "k": 1, "offset": 1}).json()
    assert second["hits"] == everything["hits"][1:2] and second["total"] == len(everything["hits"])


def test_facets_count_articles_per_year_and_language(client: TestClient[Litestar]) -> None:
    body = grouped(client, q="university", k=50)
    years = {f["value"]: f["count"] for f in body["facets"]["year"]}
    langs = {f["value"]: f["count"] for f in body["facets"]["lang"]}
    expected_years: dict[str, int] = {}
    for result in body["results"]:
        year = result["date"][:4] if result["date"] else "undated"
        expected_years[year] = expected_years.get(year, 0) + 1
    assert years == expected_years and sum(langs.values()) == body["total"]
    # A year's count is what the search narrowed to that year finds.
    year, count = next((y, n) for y, n in years.items() if y != "undated")
    narrowed = grouped(client, q="university", k=50, date_from=f"{year}-01-01", date_to=f"{year}-12-31")
    assert narrowed["total"] == count


def test_the_language_filter(client: TestClient[Litestar]) -> None:
    everything = grouped(client, q="university", k=50)
    assert grouped(client, q="university", k=50, lang="en")["results"] == everything["results"]
    assert grouped(client, q="university", k=50, lang="ru")["results"] == []
    assert client.get("/ask", params={"q": "Who led the delegation?", "lang": "ru"}).json()["citations"] == []


def test_nothing_matching_is_an_empty_list_in_every_mode(client: TestClient[Litestar]) -> None:
    for params in (
        {"mode": "keyword", "q": "zeppelin"},
        {"q": "university", "date_from": "1990-01-01", "date_to": "1990-12-31"},
    ):
        body = grouped(client, **params)
        assert body["results"] == [] and body["total"] == 0 and body["next_offset"] is None
        assert body["facets"] == {"year": [], "lang": []}


@pytest.mark.parametrize(
    ("query", "asks"), [("Who led the delegation?", True), ("Gao Jun", False), ("delegation", False)]
)
def test_the_response_says_whether_the_query_asks_something(
    client: TestClient[Litestar], query: str, asks: bool
) -> None:
    assert grouped(client, q=query)["asks_question"] is asks


def test_ask_by_post_takes_the_filters_of_ask_by_get(client: TestClient[Litestar]) -> None:
    question = "Who led the delegation that visited St. Petersburg?"
    for filters in (
        {},
        {"date_from": "2030-01-01"},
        {"date_from": "1990-01-01", "date_to": "2040-12-31"},
        {"article_id": ["a_shanghai"]},
        {"lang": "ru"},
        {"k": 1},
    ):
        by_get = client.get("/ask", params={"q": question, **filters}).json()
        by_post = client.post("/ask", json={"question": question, **filters}).json()
        for body in (by_get, by_post):
            body.pop("took_ms")
            body.pop("query_id")  # each request is logged under its own id
        assert by_post == by_get, filters
    excluded = client.post("/ask", json={"question": question, "date_from": "2030-01-01"}).json()
    assert excluded["abstained"] is True and excluded["citations"] == []


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"date_from": "banana"}, "date_from", "'banana' is not a date"),
        ({"date_to": "2025-02-30"}, "date_to", "2025-02-30 is not a date"),
        ({"k": 0}, "k", "from 1 to 50"),
        ({"lang": "de"}, "lang", "en, ru, zh, other"),
        ({"article_id": [""]}, "article_id", "must not be empty"),
    ],
)
def test_ask_by_post_refuses_what_ask_by_get_refuses(
    client: TestClient[Litestar], body: dict[str, Any], field: str, says: str
) -> None:
    posted = client.post("/ask", json={"question": "Who led the delegation?", **body})
    got = client.get("/ask", params={"q": "Who led the delegation?", **body})
    for response in (posted, got):
        assert response.status_code == 400, response.text
        error = response.json()
        assert error["error"] == "invalid_request" and error["field"] == field and says in error["detail"]


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("k=0", "k: must be a whole number from 1 to 50, got '0'"),
        ("k=ten", "k: must be a whole number from 1 to 50, got 'ten'"),
        ("mode=fuzzy", "mode: must be one of dense, keyword, hybrid, got 'fuzzy'"),
        ("group=site", "group: must be passage or article, got 'site'"),
        ("offset=-1", "offset: must be a whole number from 0 to 99, got '-1'"),
        ("lang=de", "lang: must be one of en, ru, zh, other, got 'de'"),
        ("date_from=2025-02-30", "date_from: 2025-02-30 is not a date"),
    ],
)
def test_a_bad_parameter_is_told_what_is_allowed(client: TestClient[Litestar], query: str, detail: str) -> None:
    response = client.get(f"/search?q=ok&{query}")
    assert response.status_code == 400
    assert response.json()["detail"] == detail


def test_every_parameter_is_in_the_openapi_document_and_ask_takes_the_same_by_get_and_post(
    client: TestClient[Litestar],
) -> None:
    spec = client.get("/schema/openapi.json").json()
    search = {p["name"] for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert search == {
        "q",
        "k",
        "offset",
        "mode",
        "group",
        "date_from",
        "date_to",
        "lang",
        "article_id",
        "now",
        "infer_dates",
    }
    by_get = {p["name"] for p in spec["paths"]["/ask"]["get"]["parameters"]}
    body = spec["components"]["schemas"]["AskRequest"]["properties"]
    assert by_get - {"q"} == set(body) - {"question"} == {
        "k", "date_from", "date_to", "lang", "article_id", "now", "infer_dates",
    }  # fmt: skip
    # The body's fields carry the rules of the parameters of the same name.
    params = {p["name"]: p["schema"] for p in spec["paths"]["/ask"]["get"]["parameters"]}
    assert body["date_from"]["oneOf"][0]["format"] == params["date_from"]["format"] == "date"
    assert body["now"]["oneOf"][0]["format"] == params["now"]["format"] == "date"
    assert body["article_id"]["oneOf"][0]["items"] == params["article_id"]["items"]
    lang = next(p for p in spec["paths"]["/search"]["get"]["parameters"] if p["name"] == "lang")["schema"]
    assert lang["enum"] == ["en", "ru", "zh", "other"]


def test_every_next_offset_a_response_can_give_is_an_accepted_offset(client: TestClient[Litestar]) -> None:
    from indexer.search.grouping import GROUP_DEPTH

    # A response gives next_offset = offset + k while that is below the passages a query folds, so the
    # largest one is GROUP_DEPTH - 1 (paging by one); "More results" must never be refused.
    response = client.get(f"/search?q=ok&offset={GROUP_DEPTH - 1}")
    assert response.status_code == 200, response.text
    assert client.get(f"/search?q=ok&offset={GROUP_DEPTH}").status_code == 400
