"""Web articles keep their url through /search hits, /ask answers and citations, and /articles."""

from __future__ import annotations

from pathlib import Path

from indexer.build.builder import BuildOptions, build_from_articles
from indexer.models import Article
from tests.fakes import FakeEncoder
from tests.service.conftest import ClientFactory

URL = "https://news.example.edu/news/office/"


def test_urls_reach_every_response(tmp_path: Path, make_client: ClientFactory, fake_encoder: FakeEncoder) -> None:
    articles = [
        Article(
            id="office",
            title="Office opens in Shanghai",
            date="2023-06-01",
            body="The university opened a representative office in Shanghai in April 2016.",
            source=URL,
            content_hash="h1",
            url=URL,
            lang="en",
            date_source="date-line",
        ),
        Article(
            id="local", title="Library", date=None, body="The library opens at nine.", source="l.txt", content_hash="h2"
        ),
    ]
    out = tmp_path / "index"
    build_from_articles(articles, out, fake_encoder, BuildOptions(chunk_tokens=32, overlap_tokens=8))
    client = make_client(index_dir=out)
    hits = client.get("/search", params={"q": "office in Shanghai", "k": 2}).json()["hits"]
    by_id = {h["article_id"]: h for h in hits}
    assert (by_id["office"]["url"], by_id["office"]["lang"]) == (URL, "en")
    assert by_id["local"]["url"] is None
    asked = client.get("/ask", params={"q": "When was the office in Shanghai opened?"}).json()
    assert asked["answer"]["article_id"] == "office" and asked["answer"]["url"] == URL
    assert any(c["url"] == URL for c in asked["citations"])
    article = client.get("/articles/office").json()
    assert (article["url"], article["lang"], article["date_source"]) == (URL, "en", "date-line")
    assert client.get("/passages/office%230").json()["url"] == URL
