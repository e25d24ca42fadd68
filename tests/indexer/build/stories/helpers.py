"""Articles for the story tests: bodies from the seeds, hashes from the text, declarations as asked."""

from __future__ import annotations

import hashlib
from pathlib import Path

from indexer.models import Article
from indexer.sources.articles import read_articles
from tests.conftest import SEEDS

RU_ARTICLES = Path(__file__).resolve().parents[4] / "eval" / "ru" / "articles"


def article(article_id: str, body: str, **fields: object) -> Article:
    """An article whose hash follows its body and declarations, as a source's would."""
    digest = hashlib.sha256(repr((article_id, body, sorted(fields.items()))).encode()).hexdigest()
    values: dict[str, object] = {"title": article_id, "date": None, "source": article_id, "lang": "en"} | fields
    return Article(id=article_id, body=body, content_hash=digest, **values)  # type: ignore[arg-type]


def seed_bodies() -> dict[str, str]:
    return {a.id: a.body for a in read_articles(SEEDS)}
