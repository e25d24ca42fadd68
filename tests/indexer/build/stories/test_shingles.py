"""Near-copies: reposts and edited copies merge, digests and different items do not; bands miss no near-copy."""

from __future__ import annotations

import itertools
import random

from indexer.build.stories.shingles import (
    MIN_SHINGLES,
    is_near_copy,
    jaccard,
    near_copy_pairs,
    shingles,
    signature,
)
from tests.indexer.build.stories.helpers import article, seed_bodies


def test_a_repost_under_another_header_and_footer_is_a_near_copy() -> None:
    body = next(iter(seed_bodies().values()))
    repost = f"Reposted from the university's site.\n\n{body}\n\nShare this story. Comments (3)"
    assert is_near_copy(shingles(body), shingles(repost))


def test_a_digest_copying_one_paragraph_and_different_items_are_not() -> None:
    bodies = list(seed_bodies().values())
    first, second = bodies[0], bodies[1]
    digest = first.split("\n\n")[0] + "\n\n" + second.split("\n\n")[0] + "\n\n" + bodies[2].split("\n\n")[0]
    assert not is_near_copy(shingles(first), shingles(digest))
    assert not is_near_copy(shingles(first), shingles(second))


def test_short_bodies_never_merge_even_when_equal() -> None:
    caption = "Photo gallery of the ceremony"
    assert len(shingles(caption)) < MIN_SHINGLES
    assert not is_near_copy(shingles(caption), shingles(caption))


def test_case_and_punctuation_do_not_matter() -> None:
    body = next(iter(seed_bodies().values()))
    assert jaccard(shingles(body), shingles(body.upper().replace(",", " "))) == 1.0


def test_signatures_are_the_same_in_every_run_and_order() -> None:
    hashes = shingles(next(iter(seed_bodies().values())))
    assert (signature(hashes) == signature(shingles(next(iter(seed_bodies().values()))))).all()


def _variants() -> list[tuple[str, str]]:
    """Seeds cut, spliced and edited at random: pairs at every Jaccard from 0 to 1."""
    rng = random.Random(7)
    texts = []
    for article_id, body in sorted(seed_bodies().items()):
        words = body.split()
        texts.append((article_id, body))
        for n in range(6):
            keep = rng.randint(len(words) // 3, len(words))
            start = rng.randint(0, len(words) - keep)
            cut = words[start : start + keep]
            for _ in range(rng.randint(0, 8)):
                cut[rng.randrange(len(cut))] = "changed"
            texts.append((f"{article_id}~{n}", " ".join(cut)))
    return texts


def test_the_bands_find_every_pair_an_exhaustive_comparison_finds() -> None:
    texts = _variants()
    items = [article(i, body) for i, body in texts]
    expected = sorted(
        (a.id, b.id) if a.id < b.id else (b.id, a.id)
        for a, b in itertools.combinations(items, 2)
        if is_near_copy(shingles(a.body), shingles(b.body))
    )
    assert len(expected) >= 5
    assert near_copy_pairs(items) == expected
