"""Distinct query texts for load: the eval questions first, then word windows of real sentences."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from eval.bench.corpus import SentencePool
from eval.questions import load_questions

_WINDOW_WORDS = range(5, 15)


def eval_questions(path: Path | None = None) -> list[str]:
    questions = load_questions(path) if path is not None else load_questions()
    return [q.question for q in questions]


def distinct_queries(questions: Sequence[str], seeds_dir: Path, *, count: int, seed: int = 0) -> list[str]:
    """``count`` different query strings (fewer only if the material runs out).

    The questions come first; after them, windows of 5-14 consecutive words of the seed
    sentences, in a seeded order: query-length text about the archive's real subjects.
    """
    seen: set[str] = set()
    queries: list[str] = []

    def add(text: str) -> None:
        key = " ".join(text.split())
        if key and key not in seen:
            seen.add(key)
            queries.append(key)

    for question in questions:
        add(question)
    windows: list[str] = []
    for sentence in SentencePool.from_seeds(seeds_dir).sentences:
        words = sentence.split()
        for size in _WINDOW_WORDS:
            windows.extend(" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1)))
    random.Random(seed).shuffle(windows)
    for window in windows:
        if len(queries) >= count:
            break
        add(window)
    return queries[:count]
