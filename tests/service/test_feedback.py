"""POST /feedback: tied to a logged query, checked, rate-limited, counted, and exported as qrels eval reads."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

import indexer.encoders.torch_backend
from eval.judgments import read_judged_queries, read_qrels
from indexer.commands.main import main
from indexer.insights import store
from service.controllers.feedback import Reason
from service.feedback import RateLimiter
from service.querylog import query_log_of
from tests.fakes import FakeEncoder
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


def _first_rank(hits: list[dict[str, typing.Any]], article_id: str) -> int:
    return next(rank for rank, hit in enumerate(hits, start=1) if hit["article_id"] == article_id)


def test_judged_feedback_scores_a_rerun_of_the_logged_queries(
    make_client: ClientFactory,
    tiny_index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `polysearch eval` loads the model the manifest names; here that is the fake encoder the index was built with.
    monkeypatch.setattr(indexer.encoders.torch_backend, "SentenceTransformerEncoder", lambda name=None: FakeEncoder())
    client = make_client()
    params = {"k": 10, "mode": "hybrid"}
    one = client.get("/search", params={"q": "Shanghai office delegation", **params}).json()
    two = client.get("/search", params={"q": "students library opening hours", **params}).json()
    ask = client.get("/ask", params={"q": "When did the university open an office in Shanghai?"}).json()
    assert not ask["abstained"], ask
    # The same question as a search: the ranking `polysearch eval --mode hybrid` reruns.
    asked = client.get("/search", params={"q": "When did the university open an office in Shanghai?", **params}).json()
    top_one, top_two = one["hits"][0]["article_id"], two["hits"][0]["article_id"]
    other_one = next(h["article_id"] for h in one["hits"] if h["article_id"] != top_one)
    other_two = next(h["article_id"] for h in two["hits"] if h["article_id"] != top_two)
    posts = [
        {"query_id": one["query_id"], "verdict": "yes", "article_id": top_one},
        {"query_id": one["query_id"], "verdict": "no", "reason": "off-topic", "article_id": other_one},
        {"query_id": two["query_id"], "verdict": "no", "reason": "wrong", "article_id": top_two},
        {"query_id": two["query_id"], "verdict": "yes", "article_id": other_two},
        {"query_id": ask["query_id"], "verdict": "no", "reason": "outdated"},
    ]
    for body in posts:
        assert client.post("/feedback", json=body).json()["recorded"] is True
    _flush(client)

    out = tmp_path / "feedback.qrels"
    assert main(["eval", "--judgments", str(out), "--index", str(tiny_index)]) == 0
    assert "3 queries; 0 skipped" in capsys.readouterr().out
    assert read_judged_queries(tmp_path / "feedback.qrels.queries.jsonl") == {
        one["query_id"]: "Shanghai office delegation",
        two["query_id"]: "students library opening hours",
        ask["query_id"]: "When did the university open an office in Shanghai?",
    }
    report = tmp_path / "judged.json"
    argv = ["eval", "--index", str(tiny_index), "--judged", str(out), "--mode", "hybrid", "--json", str(report)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "not_helped@1" in printed and "0 skipped" in printed

    # By hand: the first search has its helped article first; the second has a not-helped article first
    # and its helped one at rank r; the question's answer is judged not helped, wherever it ranks.
    rank_two = _first_rank(two["hits"], other_two)
    answer_first = asked["hits"][0]["article_id"] == ask["answer"]["article_id"]
    expected = {
        "hit@1": 1 / 3,
        "hit@5": (1 + (rank_two <= 5)) / 3,
        "mrr@10": (1 + 1 / rank_two) / 3,
        "not_helped@1": (1 + answer_first) / 3,
    }
    document = json.loads(report.read_text())
    assert document["n_queries"] == 3 and document["n_skipped"] == 0 and document["mode"] == "hybrid"
    assert document["metrics"] == pytest.approx(expected)
    assert {q["id"]: q["retrieved"][0] for q in document["per_query"]}[two["query_id"]] == top_two


def test_hashed_queries_are_judged_but_not_rerun(
    make_client: ClientFactory, tiny_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client(query_log_key="a secret key")
    search = client.get("/search", params={"q": "Shanghai office delegation"}).json()
    body = {"query_id": search["query_id"], "verdict": "yes", "article_id": search["hits"][0]["article_id"]}
    assert client.post("/feedback", json=body).json()["recorded"] is True
    _flush(client)
    out = tmp_path / "feedback.qrels"
    assert main(["eval", "--judgments", str(out), "--index", str(tiny_index)]) == 0
    assert "0 queries; 1 skipped" in capsys.readouterr().out
    assert len(read_qrels(out)) == 1 and read_judged_queries(tmp_path / "feedback.qrels.queries.jsonl") == {}


@pytest.mark.parametrize(
    ("qrels", "queries", "message"),
    [
        (None, None, "cannot read qrels file"),
        ("q1 0 a\n", "", "expected 'query 0 document relevance'"),
        ("q1 0 a 1\n", None, "cannot read judged queries"),
        ("q1 0 a 1\n", '{"id": "q1", "question": "x"}\nnot json\n', ":2: not JSON"),
        ("q1 0 a 1\n", '{"id": "q1"}\n', ':1: expected {"id": str, "question": non-empty str}'),
    ],
)
def test_judged_rejects_bad_files(
    tiny_index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    qrels: str | None,
    queries: str | None,
    message: str,
) -> None:
    path = tmp_path / "feedback.qrels"
    if qrels is not None:
        path.write_text(qrels)
    if queries is not None:
        (tmp_path / "feedback.qrels.queries.jsonl").write_text(queries)
    assert main(["eval", "--index", str(tiny_index), "--judged", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and error.startswith("polysearch eval: error:") and message in error


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
