"""POST /feedback: tied to a logged query, checked, rate-limited, counted, and exported as qrels eval reads."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from eval.judgments import read_qrels
from indexer.commands.main import main
from indexer.insights import store
from service.controllers.feedback import Reason
from service.feedback import RateLimiter
from service.querylog import query_log_of
from tests.service.conftest import ClientFactory


def _flush(client: TestClient[Litestar]) -> None:
    query_log = query_log_of(client.app.state)
    assert query_log is not None and query_log.flush()


def test_feedback_on_results_and_answers_round_trips_into_qrels(
    make_client: ClientFactory, tiny_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    search = client.get("/search", params={"q": "Shanghai office delegation", "k": 5}).json()
    first, second = search["hits"][0]["article_id"], next(
        h["article_id"] for h in search["hits"] if h["article_id"] != search["hits"][0]["article_id"]
    )
    ask = client.get("/ask", params={"q": "When did the university open an office in Shanghai?"}).json()
    posts = [
        {"query_id": search["query_id"], "verdict": "yes", "article_id": first},
        {"query_id": search["query_id"], "verdict": "no", "reason": "off-topic", "article_id": second},
        {"query_id": ask["query_id"], "verdict": "no", "reason": "outdated"},
    ]
    for body in posts:
        response = client.post("/feedback", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["recorded"] is True
    # A later verdict on the same pair replaces the earlier one.
    client.post("/feedback", json={"query_id": search["query_id"], "verdict": "no", "reason": "wrong",
                                   "article_id": first})  # fmt: skip
    client.post("/feedback", json={"query_id": search["query_id"], "verdict": "yes", "article_id": first})
    _flush(client)
    metrics = client.get("/metrics").text
    assert 'polysearch_feedback_total{reason="none",target="result",verdict="yes"} 2' in metrics
    assert 'polysearch_feedback_total{reason="outdated",target="answer",verdict="no"} 1' in metrics

    out = tmp_path / "feedback.qrels"
    assert main(["eval", "--judgments", str(out), "--index", str(tiny_index)]) == 0
    expected = {search["query_id"]: {first: 1, second: 0}}
    if not ask["abstained"]:
        expected[ask["query_id"]] = {ask["answer"]["article_id"]: 0}
    assert read_qrels(out) == expected
    capsys.readouterr()
    assert main(["eval", "--read-judgments", str(out)]) == 0
    total = sum(len(docs) for docs in expected.values())
    assert capsys.readouterr().out.strip().endswith(f"{len(expected)} queries, {total} judgments, 1 helped")


def test_feedback_is_checked(make_client: ClientFactory) -> None:
    client = make_client()
    search = client.get("/search", params={"q": "Shanghai"}).json()
    unknown = client.post("/feedback", json={"query_id": "ab" * 12, "verdict": "yes"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    cases = [
        ({"query_id": search["query_id"], "verdict": "maybe"}, "verdict"),
        ({"query_id": search["query_id"], "verdict": "no", "reason": "boring"}, "reason"),
        ({"query_id": "../etc", "verdict": "yes"}, "query_id"),
    ]
    for body, field in cases:
        response = client.post("/feedback", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["field"] == field
    assert client.post("/feedback", content=b"verdict=yes").status_code == 415
    stranger = {"query_id": search["query_id"], "verdict": "yes", "article_id": "not-a-result"}
    assert client.post("/feedback", json=stranger).status_code == 404
    # A reason says what was wrong: with "yes" it is dropped.
    kept = client.post("/feedback", json={"query_id": search["query_id"], "verdict": "yes", "reason": "wrong"})
    assert kept.status_code == 200
    assert 'polysearch_feedback_total{reason="none",target="answer",verdict="yes"} 1' in client.get("/metrics").text


def test_feedback_needs_the_log(make_client: ClientFactory) -> None:
    client = make_client(query_log="off")
    response = client.post("/feedback", json={"query_id": "ab" * 12, "verdict": "yes"})
    assert response.status_code == 404 and "off" in response.json()["detail"]


def test_feedback_is_rate_limited_per_address(make_client: ClientFactory) -> None:
    client = make_client()
    query_id = client.get("/search", params={"q": "Shanghai"}).json()["query_id"]
    limiter: RateLimiter = client.app.state.feedback_limiter
    statuses = [client.post("/feedback", json={"query_id": query_id, "verdict": "yes"}).status_code
                for _ in range(int(limiter.burst) + 1)]  # fmt: skip
    assert statuses[:-1] == [200] * int(limiter.burst) and statuses[-1] == 429
    _flush(client)
    # The address decided the limit and went nowhere else.
    assert b"testclient" not in (Path(client.app.state.settings.index_dir) / store.LOG_FILE).read_bytes()


def test_a_bucket_refills_and_addresses_are_apart() -> None:
    limiter = RateLimiter(burst=2, per_minute=60)
    assert [limiter.allow("a", now=0.0) for _ in range(3)] == [True, True, False]
    assert limiter.allow("b", now=0.0)
    assert limiter.allow("a", now=1.0) and not limiter.allow("a", now=1.0)


def test_the_reasons_agree_with_the_store() -> None:
    assert set(typing.get_args(Reason)) == set(store.FEEDBACK_REASONS)
