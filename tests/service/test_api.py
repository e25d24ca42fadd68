"""The JSON API over the tiny index: every endpoint, exact citations, 404s, versions, schema UI."""

from __future__ import annotations

import math
import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from indexer.commands.search import hit_record
from indexer.search.retriever import Retriever
from service.schemas import HitOut
from tests.service.conftest import ClientFactory


def test_search_returns_ranked_hits_with_exact_spans(client: TestClient[Litestar]) -> None:
    response = client.get("/search", params={"q": "Gao Jun delegation", "k": 2})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "query", "mode", "k", "index_version", "took_ms", "hits", "query_lang", "dense_used",
        "group", "offset", "total", "next_offset", "results", "facets", "asks_question", "query_id",
        "interpreted",
    }  # fmt: skip
    assert (body["group"], body["offset"], body["results"], body["asks_question"]) == ("passage", 0, [], False)
    assert (body["query_lang"], body["dense_used"]) == ("en", True)
    assert (body["query"], body["mode"], body["k"]) == ("Gao Jun delegation", "hybrid", 2)
    assert body["took_ms"] >= 0
    hits = body["hits"]
    assert [h["rank"] for h in hits] == [1, 2]
    assert hits[0]["article_id"] == "c_weatherless"
    assert set(hits[0]) == {
        "rank", "score", "scores", "passage_id", "article_id", "title", "date", "start", "end", "text", "url", "lang",
    }  # fmt: skip
    assert set(hits[0]["scores"]) == {"dense", "keyword"}
    for hit in hits:
        article = client.get(f"/articles/{hit['article_id']}").json()
        assert article["body"][hit["start"] : hit["end"]] == hit["text"]


def test_hit_fields_match_the_cli_record(tiny_retriever: Retriever) -> None:
    import msgspec

    for hit in tiny_retriever.search("university office", k=3):
        assert msgspec.to_builtins(HitOut.of(hit)) == hit_record(hit)


@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
def test_every_mode_and_k_beyond_the_corpus(client: TestClient[Litestar], mode: str) -> None:
    total = client.get("/ready").json()["passages"]
    hits = client.get("/search", params={"q": "university", "k": 50, "mode": mode}).json()["hits"]
    ids = [hit["passage_id"] for hit in hits]
    # Keyword ranking lists only the passages holding the word: no padding with zero scores.
    with_word = sum("universit" in hit["text"].lower() for hit in hits)
    assert len(ids) == len(set(ids)) == (with_word if mode == "keyword" else total)
    assert with_word > 0
    assert all(math.isfinite(hit["score"]) for hit in hits)
    assert [hit["rank"] for hit in hits] == list(range(1, len(hits) + 1))


def test_search_filters(client: TestClient[Litestar]) -> None:
    by_article = client.get("/search", params={"q": "university", "article_id": "a_shanghai"}).json()["hits"]
    assert by_article and {h["article_id"] for h in by_article} == {"a_shanghai"}
    two = client.get("/search", params=[("q", "university"), ("article_id", "a_shanghai"), ("article_id", "b_summit")])
    assert {h["article_id"] for h in two.json()["hits"]} == {"a_shanghai", "b_summit"}
    dated = client.get("/search", params={"q": "university", "date_from": "2023-01-01", "date_to": "2023-12-31"})
    assert {h["date"] for h in dated.json()["hits"]} == {"2023-06-01"}
    none = client.get("/search", params={"q": "university", "date_from": "2030-01-01"})
    assert none.status_code == 200 and none.json()["hits"] == []


def test_ask_get_and_post_answer_with_an_exact_citation(client: TestClient[Litestar]) -> None:
    question = "Who led the delegation that visited St. Petersburg?"
    for response in (
        client.get("/ask", params={"q": question}),
        client.post("/ask", json={"question": question, "k": 3}),
    ):
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "question", "answer", "abstained", "citations", "index_version", "took_ms",
            "query_lang", "dense_used", "reason", "query_id", "interpreted",
        }  # fmt: skip
        assert body["question"] == question and body["abstained"] is False and body["reason"] is None
        answer = body["answer"]
        assert "Gao Jun" in answer["text"] and 0 <= answer["confidence"] <= 1
        article = client.get(f"/articles/{answer['article_id']}").json()
        assert article["body"][answer["start"] : answer["end"]] == answer["text"]
        assert answer["passage_id"] in [hit["passage_id"] for hit in body["citations"]]
    assert len(client.post("/ask", json={"question": question, "k": 1}).json()["citations"]) == 1


def test_ask_abstains_when_nothing_supports_an_answer(client: TestClient[Litestar]) -> None:
    body = client.get("/ask", params={"q": "Will it rain on the weekend?"}).json()
    assert body["abstained"] is True and body["answer"] is None
    assert body["citations"]  # still shown, for the reader to judge
    assert isinstance(body["reason"], str) and body["reason"]


def test_ask_says_why_it_abstains_in_plain_words(client: TestClient[Litestar]) -> None:
    body = client.post("/ask", json={"question": "When did the university open an office in Harbin?"}).json()
    assert body["abstained"] is True and body["reason"] == "no passage mentions 'Harbin'"


def test_articles_and_passages(client: TestClient[Litestar]) -> None:
    article = client.get("/articles/a_shanghai").json()
    assert article["title"] == "Office opens in Shanghai" and article["date"] == "2023-06-01"
    assert article["passage_ids"] and all(pid.startswith("a_shanghai#") for pid in article["passage_ids"])
    passage_id = article["passage_ids"][0]
    passage = client.get(f"/passages/{passage_id.replace('#', '%23')}").json()
    assert passage["id"] == passage_id and passage["article_id"] == "a_shanghai"
    assert article["body"][passage["start"] : passage["end"]] == passage["text"]


@pytest.mark.parametrize(
    "path", ["/articles/nope", "/passages/nope", "/passages/a_shanghai%23999", "/articles/%E2%9C%93", "/no-such-route"]
)
def test_unknown_ids_and_routes_are_json_404s(client: TestClient[Litestar], path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == "not_found" and response.json()["detail"]


def test_every_index_response_reports_the_version(client: TestClient[Litestar]) -> None:
    version = client.get("/ready").json()["index_version"]
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    responses = [
        client.get("/search", params={"q": "office"}),
        client.get("/ask", params={"q": "office"}),
        client.get("/articles/a_shanghai"),
        client.get("/passages/a_shanghai%230"),
    ]
    assert [r.json()["index_version"] for r in responses] == [version] * 4


def test_health_ready_and_request_ids(client: TestClient[Litestar]) -> None:
    health = client.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert re.fullmatch(r"[0-9a-f]{32}", health.headers["x-request-id"])
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    # An id that could forge log lines is replaced, not echoed.
    assert client.get("/health", headers={"X-Request-ID": "a b\tc"}).headers["x-request-id"] != "a b\tc"
    ready = client.get("/ready").json()
    assert ready["ready"] is True and ready["passages"] > 0


def test_metrics_count_requests_per_route_and_status(client: TestClient[Litestar]) -> None:
    client.get("/search", params={"q": "office"})
    client.get("/search", params={"q": "office"})
    client.get("/articles/nope")
    client.get("/nowhere/at/all")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'polysearch_http_requests_total{method="GET",route="/search",status="200"} 2' in text
    assert 'polysearch_http_requests_total{method="GET",route="/articles/{article_id}",status="404"} 1' in text
    assert 'polysearch_http_requests_total{method="GET",route="unmatched",status="404"} 1' in text
    assert 'polysearch_http_request_duration_seconds_count{method="GET",route="/search",status="200"} 2' in text
    passages = client.get("/ready").json()["passages"]
    assert f"polysearch_index_passages {passages}" in text
    version = client.get("/ready").json()["index_version"]
    assert f'polysearch_index_info{{version="{version}"}} 1' in text
    assert "polysearch_index_segments 1" in text


def test_openapi_schema_and_ui_need_no_cdn(client: TestClient[Litestar]) -> None:
    spec = client.get("/schema/openapi.json").json()
    expected = {"/search", "/ask", "/articles/{article_id}", "/passages/{passage_id}", "/admin/reload"}
    assert expected <= set(spec["paths"])
    page = client.get("/schema")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert urls and all(url.startswith("/schema/assets/") for url in urls), urls
    assert "http://" not in page.text and "https://" not in page.text
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 0, url


def test_cors_is_off_by_default_and_follows_the_allowlist(make_client: ClientFactory) -> None:
    closed = make_client()
    response = closed.get("/search", params={"q": "office"}, headers={"Origin": "https://intranet.example"})
    assert "access-control-allow-origin" not in response.headers
    allowed = make_client(cors_origins=("https://intranet.example",))
    response = allowed.get("/search", params={"q": "office"}, headers={"Origin": "https://intranet.example"})
    assert response.headers["access-control-allow-origin"] == "https://intranet.example"
    other = allowed.get("/search", params={"q": "office"}, headers={"Origin": "https://evil.example"})
    assert other.headers.get("access-control-allow-origin") != "https://evil.example"


def test_a_query_outside_the_model_languages_says_so(client: TestClient[Litestar]) -> None:
    for path in ("/search", "/ask"):
        body = client.get(path, params={"q": "Когда открылось представительство в Шанхае?"}).json()
        assert (body["query_lang"], body["dense_used"]) == ("ru", False)
    hits = client.get("/search", params={"q": "Когда открылось представительство в Шанхае?"}).json()["hits"]
    assert all(hit["scores"]["dense"] is None for hit in hits)
    keyword = client.get("/search", params={"q": "Shanghai office", "mode": "keyword"}).json()
    assert (keyword["query_lang"], keyword["dense_used"]) == ("en", False)


def test_date_filters_read_russian_and_written_dates(client: TestClient[Litestar]) -> None:
    def articles(**params: str) -> set[str]:
        response = client.get("/search", params={"q": "university summit office", "k": 50, **params})
        assert response.status_code == 200, response.text
        return {hit["article_id"] for hit in response.json()["hits"]}

    assert articles(date_from="1 июня 2023") == {"a_shanghai"}
    assert articles(date_from="June 1, 2023") == articles(date_from="2023-06-01") == {"a_shanghai"}
    assert articles(date_to="10.06.2022") == {"b_summit"}
    assert articles(date_from="10 июня 2022 г.", date_to="31 мая 2023") == {"b_summit"}
    bad = client.get("/ask", params={"q": "office", "date_to": "31 июнья 2023"})
    assert bad.status_code == 400 and bad.json()["field"] == "date_to"
