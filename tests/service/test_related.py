"""``GET /articles/{id}/related``: other stories, with 404 for an unknown article and 400 for a bad k."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient


def test_related_lists_other_articles(client: TestClient[Litestar]) -> None:
    body = client.get("/articles/a_shanghai/related", params={"k": 5}).json()
    assert body["article_id"] == "a_shanghai" and body["index_version"]
    ids = [item["article_id"] for item in body["related"]]
    assert ids and "a_shanghai" not in ids and set(ids) <= {"b_summit", "c_weatherless"}
    first = body["related"][0]
    assert set(first) == {"article_id", "title", "date", "lang", "url", "similarity"}
    scores = [item["similarity"] for item in body["related"]]
    assert scores == sorted(scores, reverse=True)


def test_related_errors(client: TestClient[Litestar]) -> None:
    missing = client.get("/articles/nope/related")
    assert missing.status_code == 404 and missing.json()["error"]
    bad = client.get("/articles/a_shanghai/related", params={"k": 0})
    assert bad.status_code == 400 and bad.json()["field"] == "k"
    spec = client.get("/schema/openapi.json").json()
    assert "404" in spec["paths"]["/articles/{article_id}/related"]["get"]["responses"]
