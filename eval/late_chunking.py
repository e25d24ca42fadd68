"""Study: answer sentences pooled from their passage's token states instead of encoded alone.

About half of an indexing run's model work is the answer sentences, each encoded on its own
besides the passages that contain them. Pooling a sentence's tokens out of its passage's
forward pass ("late chunking") would spare that work; this measures what it does to answers:

    python -m eval.late_chunking --index DIR [--questions FILE]

For every sentence inside a passage of the index, the packaged model (torch) runs the passage as
the index embeds it (title, newline, text), and the sentence's vector is the normalised mean of
the token states whose characters lie inside the sentence. It prints their cosine to the stored
vectors, and the answer figures of ``polysearch eval`` with the stored and the pooled vectors.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.local import LocalBackend
from eval.metrics.answers import answer_correct
from eval.questions import Question, load_questions
from indexer.encoder import SentenceTransformerEncoder, Vectors, passage_input
from indexer.models import Passage
from indexer.retriever import Retriever
from indexer.store import LoadedIndex, load_index


def pooled_sentence_vectors(index: LoadedIndex, encoder: SentenceTransformerEncoder) -> tuple[Vectors, int]:
    """The index's sentence vectors with each one inside a passage replaced by its pooled tokens."""
    import torch

    model = encoder.model
    tokenizer = model.tokenizer
    transformer: Any = model[0].auto_model  # the Hugging Face model under sentence-transformers
    by_article: dict[str, list[Passage]] = {}
    for row in range(len(index.passages)):
        passage = index.passages[row]
        by_article.setdefault(passage.article_id, []).append(passage)
    vectors = np.asarray(index.sentence_embeddings, dtype=np.float32).copy()
    states: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}
    pooled = 0
    for row in range(len(index.sentences)):
        sentence = index.sentences[row]
        holders = [
            p for p in by_article.get(sentence.article_id, []) if p.start <= sentence.start <= sentence.end <= p.end
        ]
        if not holders:
            continue
        passage = holders[0]
        if passage.id not in states:
            text = passage_input(passage.title, passage.text)
            encoded = tokenizer(
                [text],
                return_offsets_mapping=True,
                truncation=True,
                max_length=model.max_seq_length,
                return_tensors="pt",
            )
            offsets = encoded.pop("offset_mapping")[0].numpy()
            with torch.no_grad():
                hidden = transformer(**encoded).last_hidden_state[0].numpy()
            states[passage.id] = (hidden, offsets, len(text) - len(passage.text))
        hidden, offsets, shift = states[passage.id]
        first, last = sentence.start - passage.start + shift, sentence.end - passage.start + shift
        tokens = [t for t, (a, b) in enumerate(offsets) if b > a and a >= first and b <= last]
        if tokens:
            mean = hidden[tokens].mean(axis=0)
            vectors[row] = mean / np.linalg.norm(mean)
            pooled += 1
    return vectors, pooled


def answer_figures(
    index: LoadedIndex, encoder: SentenceTransformerEncoder, questions: Sequence[Question]
) -> dict[str, float]:
    outcomes = LocalBackend(Retriever(index, encoder)).ask([q.question for q in questions])
    answerable = [(o, q) for o, q in zip(outcomes, questions, strict=True) if q.answerable]
    unanswerable = [o for o, q in zip(outcomes, questions, strict=True) if not q.answerable]
    return {
        "answer_acc": sum(answer_correct(o, q.answers) for o, q in answerable) / max(1, len(answerable)),
        "false_abstain": sum(o.abstained for o, _ in answerable) / max(1, len(answerable)),
        "abstain_unanswerable": sum(o.abstained for o in unanswerable) / max(1, len(unanswerable)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=None)
    args = parser.parse_args(argv)
    index = load_index(args.index)
    encoder = SentenceTransformerEncoder()
    questions = load_questions(args.questions) if args.questions else load_questions()
    vectors, pooled = pooled_sentence_vectors(index, encoder)
    cosine = (np.asarray(index.sentence_embeddings, dtype=np.float32) * vectors).sum(axis=1)
    print(
        f"{len(index.sentences)} sentences, {pooled} pooled; cosine to the stored vectors: mean {cosine.mean():.3f}, "
        f"10th percentile {np.percentile(cosine, 10):.3f}, min {cosine.min():.3f}"
    )
    swapped = dataclasses.replace(index, sentence_embeddings=vectors.astype(np.float16))
    for label, variant in (("encoded alone", index), ("pooled", swapped)):
        figures = answer_figures(variant, encoder, questions)
        print(f"{label}: " + ", ".join(f"{name} {value:.3f}" for name, value in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
