"""/search and /ask report the time they read in the query, filter by it, and take a fixed clock (now=)."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient


def test_search_reports_and_applies_a_stated_publication_year(client: TestClient[Litestar]) -> None:
    body = client.get("/search", params={"q": "university news of 2022", "k": 10}).json()
    assert body["interpreted"] == {
        "date_from": "2022-01-01", "date_to": "2022-12-31", "recency": False, "text": "2022", "filter": True,
    }  # fmt: skip
    # The dated articles of other years go; an undated one may stay, ranked on its words alone.
    assert body["hits"] and body["hits"][0]["article_id"] == "b_summit"
    assert all(hit["article_id"] == "b_summit" or hit["date"] is None for hit in body["hits"])


def test_relative_expressions_read_against_now(client: TestClient[Litestar]) -> None:
    body = client.get("/search", params={"q": "что писали в прошлом году об университете", "now": "2023-02-01"}).json()
    assert (body["interpreted"]["date_from"], body["interpreted"]["date_to"]) == ("2022-01-01", "2022-12-31")
    assert body["interpreted"]["text"] == "в прошлом году"
    assert {hit["article_id"] for hit in body["hits"]} <= {"b_summit"}
    later = client.get("/search", params={"q": "что писали в прошлом году об университете", "now": "2024-02-01"}).json()
    assert later["interpreted"]["date_from"] == "2023-01-01"


def test_infer_dates_false_searches_all_dates(client: TestClient[Litestar]) -> None:
    params = {"q": "university news of 2022", "k": 10, "infer_dates": "false"}
    body = client.get("/search", params=params).json()
    assert body["interpreted"] == {"date_from": None, "date_to": None, "recency": False, "text": None, "filter": False}
    assert {hit["article_id"] for hit in body["hits"]} > {"b_summit"}


def test_the_callers_dates_are_never_widened(client: TestClient[Litestar]) -> None:
    params = {"q": "university news of 2022", "k": 10, "date_from": "2023-01-01"}
    body = client.get("/search", params=params).json()
    assert body["interpreted"]["filter"] is True
    assert {hit["article_id"] for hit in body["hits"]} == {"a_shanghai"}


def test_no_time_in_the_query_reads_as_nulls(client: TestClient[Litestar]) -> None:
    body = client.get("/search", params={"q": "Gao Jun delegation"}).json()
    assert body["interpreted"] == {"date_from": None, "date_to": None, "recency": False, "text": None, "filter": False}


def test_ask_reports_what_it_read_get_and_post(client: TestClient[Litestar]) -> None:
    got = client.get("/ask", params={"q": "What was the latest news about the office?", "now": "2026-01-01"}).json()
    assert got["interpreted"]["recency"] is True and got["interpreted"]["text"] == "latest"
    posted = client.post("/ask", json={"question": "Who presented the university in 2022?", "now": "2026-01-01"}).json()
    assert posted["interpreted"]["date_from"] == "2022-01-01" and posted["interpreted"]["filter"] is True
    assert posted["citations"][0]["article_id"] == "b_summit"
    assert all(c["article_id"] == "b_summit" or c["date"] is None for c in posted["citations"])
    off = client.post("/ask", json={"question": "Who presented the university in 2022?", "infer_dates": False}).json()
    assert off["interpreted"]["date_from"] is None


def test_a_bad_now_is_a_400_naming_it(client: TestClient[Litestar]) -> None:
    for response in (
        client.get("/search", params={"q": "news", "now": "yesterday-ish"}),
        client.get("/ask", params={"q": "news", "now": "2024-13-45"}),
        client.post("/ask", json={"question": "news", "now": "soon"}),
    ):
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "now"


def test_infer_dates_in_the_body_must_be_a_boolean(client: TestClient[Litestar]) -> None:
    for value in (0, 1, "false", None):
        response = client.post("/ask", json={"question": "news of 2022", "infer_dates": value})
        assert response.status_code == 400 and response.json()["field"] == "infer_dates", value
