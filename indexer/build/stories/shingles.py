"""Near-copies in one language: word 5-shingles, MinHash bands to find candidates, exact Jaccard to decide.

A repost with another header or footer, or a copy with a sentence edited, shares most of its
5-word runs with the original; a digest that copies one paragraph of a story shares a small
part of either. Candidates come from MinHash bands (pairs sharing a band of two minimums), so
the cost grows with the archive and the candidates, not with every pair; each candidate is
then decided on the exact Jaccard of the two shingle sets.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from indexer.models import Article

SHINGLE_WORDS = 5
# Chosen on the labelled pairs (eval/stories): reposts and edited copies score 0.75 and above, a
# shortened edition 0.63, real bulletins that copy most of an item 0.52 and 0.54, digests that copy
# two sentences 0.28 or less, different items sharing names 0.04 or less. 0.6 would also separate
# them, with a thin margin; 0.7 keeps a bulletin from hiding its other news at the cost of missing
# a heavily shortened edition (precision first).
NEAR_COPY_JACCARD = 0.7
# Below this many shingles a body is a caption or a teaser: two of them alike prove nothing.
MIN_SHINGLES = 10
BANDS = 32
ROWS = 2
_WORD = re.compile(r"\w+")
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def _multipliers() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    # Fixed odd multipliers and offsets: the same bodies always give the same signatures.
    rng = np.random.default_rng(20240601)
    a = rng.integers(1, 2**63, size=BANDS * ROWS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=BANDS * ROWS, dtype=np.uint64)
    return a, b


_A, _B = _multipliers()


def shingles(text: str) -> frozenset[int]:
    """The 64-bit hashes of the text's word 5-shingles (case folded); a shorter text is one shingle."""
    words = _WORD.findall(text.casefold())
    if not words:
        return frozenset()
    runs = [" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(len(words) - SHINGLE_WORDS + 1, 1))]
    return frozenset(int.from_bytes(hashlib.blake2b(r.encode(), digest_size=8).digest(), "little") for r in runs)


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def is_near_copy(a: frozenset[int], b: frozenset[int], *, threshold: float = NEAR_COPY_JACCARD) -> bool:
    """Two bodies' shingle sets: one text told twice (both long enough, Jaccard at least ``threshold``)."""
    return min(len(a), len(b)) >= MIN_SHINGLES and jaccard(a, b) >= threshold


def signature(hashes: frozenset[int]) -> npt.NDArray[np.uint64]:
    """MinHash signature: per hash function (a multiply-add on 64 bits), the smallest value over the shingles."""
    values = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
    with np.errstate(over="ignore"):
        mixed = (values[None, :] * _A[:, None] + _B[:, None]) & _MASK
    result: npt.NDArray[np.uint64] = mixed.min(axis=1)
    return result


@dataclass(frozen=True, slots=True)
class Shingled:
    """An article's id and the shingle hashes of its body."""

    id: str
    hashes: frozenset[int]


def shingled(articles: Sequence[Article]) -> list[Shingled]:
    return [Shingled(a.id, shingles(a.body)) for a in articles]


def candidate_pairs(items: Sequence[Shingled]) -> set[tuple[int, int]]:
    """Index pairs that share at least one MinHash band: near-copies almost surely, unrelated texts rarely."""
    buckets: dict[tuple[int, bytes], list[int]] = {}
    for index, item in enumerate(items):
        if len(item.hashes) < MIN_SHINGLES:
            continue
        rows = signature(item.hashes).reshape(BANDS, ROWS)
        for band in range(BANDS):
            buckets.setdefault((band, rows[band].tobytes()), []).append(index)
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        for i, first in enumerate(members):
            pairs.update((first, second) for second in members[i + 1 :])
    return pairs


def near_copy_pairs(articles: Sequence[Article], *, threshold: float = NEAR_COPY_JACCARD) -> list[tuple[str, str]]:
    """Pairs of articles whose bodies are near-copies, by id, sorted."""
    items = shingled(articles)
    found = []
    for i, j in candidate_pairs(items):
        if is_near_copy(items[i].hashes, items[j].hashes, threshold=threshold):
            a, b = sorted((items[i].id, items[j].id))
            found.append((a, b))
    return sorted(found)
