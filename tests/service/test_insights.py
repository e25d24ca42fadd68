"""The gap report end to end: a few hundred varied requests, then /admin/insights.json and `polysearch report`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from eval.questions import load_questions
from indexer.commands.main import main
from indexer.insights import store
from service.querylog import query_log_of
from tests.fake_cli import use_fake_model
from tests.service.conftest import AUTH, ClientFactory

# Questions the tiny archive cannot answer, each family the same need in other words.
FAMILIES = {
    "fee": ["What is the tuition fee for foreign students?", "what is the tuition fee for foreign students",
            "Tuition fee for foreign students?", "What is the tuition fee for foreign students in 2025?"],
    "dorm": ["How do I book a dormitory room for a visiting professor?",
             "How to book a dormitory room for a visiting professor", "Book a dormitory room for visiting professor?"],
    "parking": ["Where can guests park their cars on campus?", "Where can guests park cars on campus",
                "Where can our guests park their cars on the campus?"],
}  # fmt: skip
SEARCHES = ["Shanghai office", "ATURC summit", "delegation from Jiangsu", "Gao Jun", "joint labs", "internships"]
FUTURE = {"date_from": "2030-01-01"}  # nothing is that new: "nothing found"


def drive(client: TestClient[Litestar]) -> dict[str, Any]:
    """About three hundred requests; returns what the responses said, for the report to agree with."""
    asked = answered = 0
    ids: list[str] = []
    for round_ in range(20):
        for i, text in enumerate(SEARCHES):
            for _ in range(i + 1):  # "Gao Jun" more often than "Shanghai office", and so on
                body = client.get("/search", params={"q": text, "mode": "hybrid"}).json()
                ids.append(body["query_id"])
        if round_ % 2 == 0:
            client.get("/search", params={"q": "Shanghai office", **FUTURE})
        for name, variants in FAMILIES.items():
            question = variants[round_ % len(variants)]
            params = {"q": question, **(FUTURE if name == "parking" else {})}
            body = client.get("/ask", params=params).json()
            asked += 1
            answered += not body["abstained"]
            assert body["abstained"], question
    query_log = query_log_of(client.app.state)
    assert query_log is not None and query_log.flush()
    return {"asked": asked, "answered": answered, "ids": ids}


@pytest.fixture
def driven(make_client: ClientFactory) -> tuple[TestClient[Litestar], dict[str, Any]]:
    client = make_client()
    return client, drive(client)


def _check_groups(groups: list[dict[str, Any]]) -> None:
    """One group per family, holding all of it and nothing else, each with its status."""
    assert len(groups) == 3
    by_family = {}
    for group in groups:
        (name,) = {name for name, variants in FAMILIES.items() if group["example"] in variants}
        assert set(group["examples"]) <= set(FAMILIES[name])
        by_family[name] = group
    assert [by_family[name]["count"] for name in sorted(FAMILIES)] == [20, 20, 20]
    # "What is ...?" and "what is ..." are one question, asked most: it leads its group.
    assert by_family["fee"]["example"] == "What is the tuition fee for foreign students?"
    assert len(by_family["fee"]["examples"]) == 3
    assert by_family["fee"]["status"] == by_family["dorm"]["status"] == "found_no_answer"
    assert by_family["fee"]["found"] == 20 and by_family["fee"]["nothing"] == 0
    assert by_family["parking"]["status"] == "nothing_found" and by_family["parking"]["nothing"] == 20
    assert all(g["reasons"] and g["reasons"][0]["count"] > 0 for g in groups)


def test_the_json_report_shows_what_was_asked(driven: tuple[TestClient[Litestar], dict[str, Any]]) -> None:
    client, said = driven
    report = client.get("/admin/insights.json", params={"since": "1d"}, headers=AUTH).json()
    assert report["questions"] == said["asked"] and report["answered"] == said["answered"]
    assert report["searches"] == 20 * 21 + 10
    assert [c["query"] for c in report["top_queries"][:2]] == ["internships", "joint labs"]
    assert report["top_queries"][0]["count"] == 120
    _check_groups(report["unanswered"])
    no_results = {c["query"]: c["count"] for c in report["no_results"]}
    assert no_results["Shanghai office"] == 10
    assert [d["share"] for d in report["days"]] == [0.0]


def test_the_json_report_needs_the_token(client: TestClient[Litestar]) -> None:
    assert client.get("/admin/insights.json").status_code == 401
    assert client.get("/admin/insights.json", headers={"Authorization": "Bearer " + "x" * 30}).status_code == 403
    bad = client.get("/admin/insights.json", params={"since": "yesterday"}, headers=AUTH)
    assert bad.status_code == 400 and bad.json()["field"] == "since"
    empty = client.get("/admin/insights.json", headers=AUTH).json()
    assert empty["queries"] == 0 and empty["unanswered"] == []


def test_the_page_is_served_without_data_and_never_framed(client: TestClient[Litestar]) -> None:
    page = client.get("/admin/insights")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert 'type="password"' in page.text and "/static/js/insights.js" in page.text
    assert client.get("/static/js/insights.js").status_code == 200


def test_the_report_command(
    driven: tuple[TestClient[Litestar], dict[str, Any]],
    tiny_index: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_fake_model(monkeypatch.setattr)
    assert main(["report", "--index", str(tiny_index), "--since", "1d", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    _check_groups(report["unanswered"])
    assert main(["report", "--index", str(tiny_index), "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["section", "item", "count", "detail"]
    assert ["top", "internships", "120", ""] in rows
    assert sum(1 for row in rows if row[0] == "unanswered") == 3
    drafts = tmp_path / "drafts.jsonl"
    assert main(["report", "--index", str(tiny_index), "--draft-questions", str(drafts)]) == 0
    text = capsys.readouterr().out
    assert "found, but no answer" in text and "nothing found" in text
    questions = load_questions(drafts)
    assert sorted(q.question for q in questions) == sorted(g["example"] for g in report["unanswered"])
    assert all(not q.doc_ids and not q.answers for q in questions)


def test_the_report_command_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--log", str(tmp_path / "absent.db")]) == 2
    assert "no query log" in capsys.readouterr().err
    store.connect(tmp_path / "log.db").close()
    assert main(["report", "--log", str(tmp_path / "log.db"), "--since", "soon"]) == 2
    assert "since" in capsys.readouterr().err
