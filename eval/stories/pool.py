"""The articles the labelled pairs name: seeds, the Russian articles, gensim's Lee news items, variants of them.

The seeds and the Russian articles of this repository, the English versions of five Russian
articles (eval/crosslang, translated here for the cross-language questions), the 300 + 50 ABC
news items of gensim's Lee corpus (real news written elsewhere, which itself holds reposts, an
edited copy and bulletins that copy an item), and variants made mechanically from Lee items,
named by what was done to them:

- ``<id>~repost``: the item under a site's header and above its footer (the same story);
- ``<id>~trimmed``: the item without its last sentence, as an earlier edition (the same story);
- ``digest~<id>~<id>~<id>``: the first two sentences of each item under one headline (a digest:
  a story of its own, not a version of any of them).
"""

from __future__ import annotations

import re
from pathlib import Path

from eval.archive.distractors import lee_items, test_data_dir
from eval.errors import EvalError
from indexer.build.builder import with_language
from indexer.models import Article
from indexer.sources.articles import read_articles

REPO = Path(__file__).resolve().parents[2]
_SENTENCE_END = re.compile(r"(?<=[.!?\"])\s+(?=[\"'A-Z0-9])")
REPOST_HEADER = "Reposted from ABC News Online. Local news, sport and weather for your region."
REPOST_FOOTER = (
    "Copyright 2001 Australian Broadcasting Corporation. All rights reserved. "
    "Share this story by email, print it, or read more stories from this region."
)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def _article(article_id: str, title: str, body: str) -> Article:
    # The Lee items are undated English news: no translation rule can pair them, by design.
    return Article(id=article_id, title=title, date=None, body=body, source=article_id, content_hash="", lang="en")


def base_articles() -> dict[str, Article]:
    """The seeds, the Russian articles, their English versions (languages detected as a build does), the Lee items."""
    found: dict[str, Article] = {}
    for folder in (REPO / "seeds", REPO / "eval" / "ru" / "articles", REPO / "eval" / "crosslang" / "articles"):
        found.update((a.id, with_language(a)) for a in read_articles(folder))
    for item in lee_items(test_data_dir()):
        found[item.id] = _article(item.id, item.title, "\n\n".join(item.paragraphs))
    return found


def variant(article_id: str, base: dict[str, Article]) -> Article:
    """A variant named by its id (module docstring); ``EvalError`` for a name that makes none."""
    parts = article_id.split("~")
    if parts[0] == "digest" and len(parts) > 2:
        items = [_known(p, base) for p in parts[1:]]
        body = "\n\n".join(" ".join(sentences(item.body)[:2]) for item in items)
        return _article(article_id, "News in brief", body)
    if len(parts) == 2 and parts[1] == "repost":
        item = _known(parts[0], base)
        return _article(article_id, item.title, f"{REPOST_HEADER}\n\n{item.body}\n\n{REPOST_FOOTER}")
    if len(parts) == 2 and parts[1] == "trimmed":
        item = _known(parts[0], base)
        return _article(article_id, item.title, " ".join(sentences(item.body)[:-1]))
    raise EvalError(f"{article_id!r} names no article and no variant")


def _known(article_id: str, base: dict[str, Article]) -> Article:
    if article_id not in base:
        raise EvalError(f"{article_id!r} is not among the seeds, Russian articles or Lee items")
    return base[article_id]


def pool(ids: set[str]) -> dict[str, Article]:
    """Every base article and every variant that ``ids`` name, by id."""
    base = base_articles()
    found = dict(base)
    for article_id in sorted(ids - base.keys()):
        found[article_id] = variant(article_id, base)
    return found
