"""What grouping costs as the archive grows: ``python -m eval.stories.scale N`` times detection over N articles.

The articles are real sentences of gensim's Lee news corpus recombined (seeded, so the same N
gives the same articles): 6 to 20 sentences each, dated across 2010-2025, plus one repost (the
same text under a line of header) per hundred. Recombined articles share sentences but no run of
them, so the groups to find are exactly the reposts; the figure printed is the detection time and
whether it found those and nothing else.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Sequence

from eval.archive.distractors import lee_items, test_data_dir
from indexer.build.stories.detect import detect_stories
from indexer.models import Article

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
REPOST_EVERY = 100


def lee_sentences() -> list[str]:
    """Every sentence of more than five words in the Lee items, in corpus order."""
    found: list[str] = []
    for item in lee_items(test_data_dir()):
        found += [s for s in _SENTENCE_END.split(" ".join(item.paragraphs)) if len(s.split()) > 5]
    return found


def recombined(n: int, sentences: Sequence[str], *, seed: int = 0) -> tuple[list[Article], list[tuple[str, str]]]:
    """``n`` recombined articles and a repost of every hundredth, with the (original, repost) pairs."""
    rng = random.Random(seed)
    articles = []
    for number in range(n):
        body = " ".join(rng.choice(sentences) for _ in range(rng.randint(6, 20)))
        day = f"{rng.randint(2010, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        articles.append(
            Article(id=f"a{number:06d}", title=f"Item {number}", date=day, body=body, source="scale",
                    content_hash=f"a{number}", lang="en")
        )  # fmt: skip
    pairs = []
    for number in range(n // REPOST_EVERY):
        original = articles[number * REPOST_EVERY]
        repost = Article(
            id=f"r{number:06d}", title=original.title, date=original.date, body=f"Reposted.\n\n{original.body}",
            source="scale", content_hash=f"r{number}", lang="en",
        )  # fmt: skip
        articles.append(repost)
        pairs.append((original.id, repost.id))
    return articles, pairs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.stories.scale", description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=int, nargs="+", help="archive sizes to time (recombined articles)")
    args = parser.parse_args(argv)
    sentences = lee_sentences()
    for n in args.articles:
        articles, pairs = recombined(n, sentences)
        started = time.perf_counter()
        groups = detect_stories(articles).groups()
        seconds = time.perf_counter() - started
        exact = set(groups) == set(pairs)
        print(f"{len(articles)} articles: {seconds:.1f} s, {len(groups)} groups, exactly the reposts: {exact}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
