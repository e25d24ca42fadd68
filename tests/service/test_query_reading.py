"""A request's query is read once and reaches the model only when its vector is used."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tests.fakes import FakeEncoder

RUSSIAN = "Когда открылось представительство в Шанхае?"


def test_a_dense_search_encodes_its_query_once(client: TestClient[Litestar], fake_encoder: FakeEncoder) -> None:
    before = fake_encoder.texts_encoded
    body = client.get("/search", params={"q": "  Shanghai office  ", "mode": "hybrid"}).json()
    assert (body["query"], body["query_lang"], body["dense_used"]) == ("Shanghai office", "en", True)
    assert fake_encoder.texts_encoded == before + 1


def test_no_model_call_where_no_vector_is_used(client: TestClient[Litestar], fake_encoder: FakeEncoder) -> None:
    before = fake_encoder.texts_encoded
    keyword = client.get("/search", params={"q": "Shanghai office", "mode": "keyword"})
    uncovered_search = client.get("/search", params={"q": RUSSIAN, "mode": "dense"})
    uncovered_ask = client.get("/ask", params={"q": RUSSIAN})
    posted = client.post("/ask", json={"question": RUSSIAN})
    assert [r.status_code for r in (keyword, uncovered_search, uncovered_ask, posted)] == [200] * 4
    # Keywords alone, and none of the Russian words is in the English articles: nothing is cited.
    assert uncovered_ask.json()["dense_used"] is False and uncovered_ask.json()["citations"] == []
    assert fake_encoder.texts_encoded == before
