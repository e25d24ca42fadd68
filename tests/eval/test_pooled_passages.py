"""The pooled-passage study: each passage's vector is the length-weighted mean of its whole sentences."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eval.pooled_passages import figures, pooled_passage_vectors, with_passage_vectors
from eval.questions import load_questions
from indexer.store import load_index
from tests.fakes import FakeEncoder


def test_a_passage_is_the_weighted_mean_of_the_sentences_inside_it(
    seeds_index: Path, fake_encoder: FakeEncoder
) -> None:
    index = load_index(seeds_index)
    vectors, pooled = pooled_passage_vectors(index, fake_encoder)
    assert 0 < pooled <= len(index.passages) and vectors.shape == np.asarray(index.embeddings).shape
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    passage = index.passages[0]
    inside = [
        r
        for r in range(len(index.sentences))
        if index.sentences[r].article_id == passage.article_id
        and passage.start <= index.sentences[r].start
        and index.sentences[r].end <= passage.end
    ]
    assert inside
    lengths = np.array([index.sentences[r].end - index.sentences[r].start for r in inside], dtype=np.float32)
    mean = (np.asarray(index.sentence_embeddings, dtype=np.float32)[inside] * lengths[:, None]).sum(axis=0)
    assert np.allclose(vectors[0], mean / np.linalg.norm(mean), atol=1e-5)


def test_the_title_weight_moves_the_vector_toward_the_title(seeds_index: Path, fake_encoder: FakeEncoder) -> None:
    index = load_index(seeds_index)
    plain, _ = pooled_passage_vectors(index, fake_encoder)
    titled, _ = pooled_passage_vectors(index, fake_encoder, title_weight=0.5)
    title = fake_encoder.encode([index.passages[0].title])[0]
    assert float(titled[0] @ title) > float(plain[0] @ title)


def test_the_swapped_index_is_searched_and_scored(seeds_index: Path, fake_encoder: FakeEncoder) -> None:
    index = load_index(seeds_index)
    vectors, _ = pooled_passage_vectors(index, fake_encoder)
    swapped = with_passage_vectors(index, vectors)
    assert np.allclose(np.asarray(swapped.embeddings, dtype=np.float32), vectors, atol=1e-3)
    found = figures(swapped, fake_encoder, load_questions()[:12])
    assert {"hybrid hit@1", "dense mrr@10", "answer_acc"} <= set(found)
    assert all(0.0 <= value <= 1.0 for key, value in found.items() if key != "abstain_unanswerable")
