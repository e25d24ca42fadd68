"""Evaluating over HTTP: same figures as in-process, pooled judgements, clear errors."""

from __future__ import annotations

import httpx
import pytest

from eval.backends.local import LocalBackend
from eval.backends.remote import HttpBackend
from eval.errors import EvalError
from eval.questions import load_questions
from eval.runner import evaluate
from indexer.search.retriever import Retriever
from tests.eval.conftest import Handler

URL = "http://polysearch.test"


def _backend(handler: Handler) -> HttpBackend:
    return HttpBackend(URL, client=httpx.Client(base_url=URL, transport=httpx.MockTransport(handler)))


def test_http_evaluation_matches_in_process(seeds_retriever: Retriever, seeds_service: Handler) -> None:
    questions = load_questions()
    remote = evaluate(_backend(seeds_service), questions, modes=["hybrid", "keyword"], k=10)
    local = evaluate(LocalBackend(seeds_retriever), questions, modes=["hybrid", "keyword"], k=10)
    assert remote.qrels_pooled and not local.qrels_pooled
    for mode in ("hybrid", "keyword"):
        ours, theirs = remote.runs[mode].metrics, local.runs[mode].metrics
        same = [n for n in ours if n != "ndcg@10"]
        assert {n: ours[n] for n in same} == {n: theirs[n] for n in same}
        # Pooled judgements know fewer relevant passages, so the ideal ranking is easier to reach.
        assert float(ours["ndcg@10"] or 0) >= float(theirs["ndcg@10"] or 0)
    # Pooled qrels are a subset of the full judgements.
    assert all(remote.qrels[q] <= local.qrels[q] for q in remote.qrels)


def test_search_sends_the_parameters_and_reads_hits() -> None:
    seen: list[httpx.QueryParams] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params)
        hit = {"passage_id": "a#0", "article_id": "a", "text": "t", "score": 0.5, "title": "x"}
        return httpx.Response(200, json={"hits": [hit, {**hit, "passage_id": "a#1"}]})

    [hits] = _backend(handler).search(["when?"], k=7, mode="dense")
    assert dict(seen[0]) == {"q": "when?", "k": "7", "mode": "dense"}
    assert [(h.rank, h.passage_id) for h in hits] == [(1, "a#0"), (2, "a#1")]


def test_ask_reads_answers_and_abstentions() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params["q"] == "weather?":
            return httpx.Response(200, json={"answer": None, "abstained": True})
        return httpx.Response(200, json={"answer": {"text": "In April 2016.", "passage_id": "a#0"}, "abstained": False})

    answered, abstained = _backend(handler).ask(["when?", "weather?"])
    assert (answered.answer, answered.passage_id, answered.abstained) == ("In April 2016.", "a#0", False)
    assert (abstained.answer, abstained.abstained) == (None, True)


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(422, json={"error": "invalid_query", "detail": "q: must not be empty"}), "422 .*q: must not"),
        (httpx.Response(500, text="boom"), "500 \\(boom\\)"),
        (httpx.Response(200, text="not json"), "unexpected body"),
        (httpx.Response(200, json={"results": []}), "unexpected body"),
    ],
)
def test_service_errors_become_one_clear_error(response: httpx.Response, message: str) -> None:
    backend = _backend(lambda request: response)
    with pytest.raises(EvalError, match=message):
        backend.search(["q"], k=1, mode="hybrid")


def test_unreachable_service() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(EvalError, match=f"cannot reach {URL}/ask"):
        _backend(refuse).ask(["q"])


def test_article_languages_are_read_from_the_article_endpoint_and_hits_carry_theirs() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        if request.url.path == "/search":
            hit = {"passage_id": "a#0", "article_id": "a", "text": "t", "lang": "ru"}
            return httpx.Response(200, json={"hits": [hit]})
        if request.url.path == "/articles/missing":
            return httpx.Response(404, json={"error": "not_found", "detail": "no article 'missing'"})
        return httpx.Response(200, json={"id": "x", "lang": "en" if "en" in request.url.path else None})

    backend = _backend(handler)
    assert backend.article_langs(["en_1", "ru#1"]) == {"en_1": "en", "ru#1": None}
    assert paths == ["/articles/en_1", "/articles/ru%231"]
    [[hit]] = backend.search(["q"], k=1, mode="hybrid")
    assert hit.lang == "ru"
    with pytest.raises(EvalError, match="404"):
        backend.article_langs(["missing"])
