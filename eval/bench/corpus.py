"""A deterministic synthetic news archive made by recombining the real sentences of the seed articles.

Real sentences keep the text statistics (sentence length, vocabulary, names, numbers) of the
real archive, so chunking, BM25 and the model see realistic input at any corpus size; a
seeded RNG makes the same seed give the same files, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.build.builder import DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS, ENCODING, load_encoding
from indexer.build.chunking import Chunker
from indexer.errors import BuildError
from indexer.sources.articles import read_articles
from indexer.text.sentences import sentence_spans

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_CATEGORIES = ("International activities", "Science", "Education", "University life", "Partnership")
_FIRST_DAY = dt.date(2015, 1, 1).toordinal()
_LAST_DAY = dt.date(2024, 12, 31).toordinal()


@dataclass(frozen=True, slots=True)
class SentencePool:
    """The material recombined: the seed articles' titles and body sentences, in file order."""

    titles: tuple[str, ...]
    sentences: tuple[str, ...]

    @property
    def headlines(self) -> tuple[str, ...]:
        """Real titles plus short real sentences, so synthetic titles vary like an archive's do."""
        return self.titles + tuple(s.rstrip(".") for s in self.sentences if len(s.split()) <= 14)

    @classmethod
    def from_seeds(cls, seeds_dir: Path) -> SentencePool:
        titles: list[str] = []
        sentences: list[str] = []
        for article in read_articles(seeds_dir):
            titles.append(article.title)
            sentences.extend(article.body[a:b] for a, b in sentence_spans(article.body))
        if not sentences:
            raise BuildError(f"no sentences to recombine in {seeds_dir}")
        return cls(tuple(titles), tuple(sentences))


@dataclass(frozen=True, slots=True)
class SyntheticArticle:
    name: str
    text: str
    passages: int


@dataclass(frozen=True, slots=True)
class CorpusInfo:
    articles: int
    passages: int


def synthetic_articles(
    pool: SentencePool,
    *,
    n_passages: int,
    seed: int = 0,
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
) -> Iterator[SyntheticArticle]:
    """Articles until their passages (as the default chunker cuts them) reach ``n_passages``.

    The passage count uses the indexer's own tiktoken chunker, so an index built from these
    files holds that many passages, give or take the few windows the model's own length
    check splits again.
    """
    if n_passages < 1:
        raise ValueError(f"n_passages must be at least 1, got {n_passages}")
    rng = random.Random(seed)
    chunker = Chunker(load_encoding(ENCODING), chunk_tokens=chunk_tokens, overlap_tokens=overlap_tokens)
    headlines = pool.headlines
    total, number = 0, 0
    while total < n_passages:
        title = rng.choice(headlines)
        day = dt.date.fromordinal(rng.randint(_FIRST_DAY, _LAST_DAY))
        header = f"{day.day} {_MONTHS[day.month - 1]} {day.year} {rng.choice(_CATEGORIES)} {rng.randint(0, 3000)}"
        paragraphs = [
            " ".join(rng.choice(pool.sentences) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(2, 8))
        ]
        body = "\n\n".join(paragraphs)
        passages = len(chunker.chunk(body))
        yield SyntheticArticle(name=f"syn_{number:07d}.txt", text=f"{title}\n\n{header}\n\n{body}\n", passages=passages)
        total += passages
        number += 1


def write_corpus(seeds_dir: Path, out_dir: Path, *, n_passages: int, seed: int = 0) -> CorpusInfo:
    """Write a synthetic archive of about ``n_passages`` passages to ``out_dir`` (created empty)."""
    pool = SentencePool.from_seeds(seeds_dir)
    out_dir.mkdir(parents=True, exist_ok=False)
    articles = passages = 0
    for article in synthetic_articles(pool, n_passages=n_passages, seed=seed):
        (out_dir / article.name).write_text(article.text, encoding="utf-8")
        articles += 1
        passages += article.passages
    return CorpusInfo(articles=articles, passages=passages)
