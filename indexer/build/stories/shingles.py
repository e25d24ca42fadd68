"""Near-copies in one language: word 5-shingles, MinHash bands to find candidates, exact Jaccard to decide.

A repost with another header or footer, or a copy with a sentence edited, shares most of its
5-word runs with the original; a digest that copies one paragraph of a story shares a small
part of either. Candidates come from MinHash bands (pairs sharing a band of two minimums), so
the cost grows with the archive and the candidates, not with every pair; each candidate is
then decided on the exact Jaccard of the two shingle sets.
"""

from __future__ import annotations

import functools
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


Shingles = npt.NDArray[np.uint64]


def _multipliers() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    # Fixed odd multipliers and offsets: the same bodies always give the same signatures.
    rng = np.random.default_rng(20240601)
    a = rng.integers(1, 2**63, size=BANDS * ROWS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=BANDS * ROWS, dtype=np.uint64)
    return a, b


_A, _B = _multipliers()
# Odd multipliers that weigh each word of a shingle by its place in it.
_PLACES = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD],
                   dtype=np.uint64)[:SHINGLE_WORDS]  # fmt: skip


@functools.lru_cache(maxsize=1 << 17)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def shingles(text: str) -> Shingles:
    """The 64-bit hashes of the text's word 5-shingles (case folded), sorted and unique; a shorter text is one.

    Each word is hashed once; a shingle's hash mixes its words' hashes by place, in numpy.
    """
    words = _WORD.findall(text.casefold())
    if not words:
        return np.zeros(0, dtype=np.uint64)
    hashed = np.array([_word_hash(w) for w in words], dtype=np.uint64)
    runs = max(len(words) - SHINGLE_WORDS + 1, 1)
    mixed = np.zeros(runs, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for place in range(min(SHINGLE_WORDS, len(words))):
            mixed ^= hashed[place : place + runs] * _PLACES[place]
            mixed = (mixed << np.uint64(13)) | (mixed >> np.uint64(51))
    result: Shingles = np.unique(mixed)
    return result


def jaccard(a: Shingles, b: Shingles) -> float:
    if not len(a) or not len(b):
        return 0.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common)


def is_near_copy(a: Shingles, b: Shingles, *, threshold: float = NEAR_COPY_JACCARD) -> bool:
    """Two bodies' shingles: one text told twice (both long enough, Jaccard at least ``threshold``)."""
    return min(len(a), len(b)) >= MIN_SHINGLES and jaccard(a, b) >= threshold


def signature(hashes: Shingles) -> npt.NDArray[np.uint64]:
    """MinHash signature: per hash function (a multiply-add on 64 bits), the smallest value over the shingles."""
    with np.errstate(over="ignore"):
        mixed = hashes[None, :] * _A[:, None] + _B[:, None]
    result: npt.NDArray[np.uint64] = mixed.min(axis=1)
    return result


@dataclass(frozen=True, slots=True)
class Shingled:
    """An article's id and the shingle hashes of its body."""

    id: str
    hashes: Shingles


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
