"""Study: passage vectors as the mean of their sentences' vectors, instead of encoded whole.

The answer sentences already cover about 95 % of every passage's text and are encoded on their
own, so pooling a passage's vector from them would spare the passages' half of an indexing
run's model work. This measures what it does to retrieval and answers:

    python -m eval.pooled_passages --index DIR [--index DIR ...] [--title-weight 0.3]

For each passage, the sentences lying wholly inside it are averaged, weighted by their length
in characters (plus, with ``--title-weight W``, the article title's vector at weight W, as the
model sees the title in a passage's input), and normalised. A passage holding no whole sentence
keeps its stored vector. Every index is evaluated on the question set with its stored and its
pooled passage vectors, queries on the onnx backend.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eval.local import LocalBackend
from eval.questions import Question, load_questions
from eval.runner import evaluate
from indexer.dense import DenseIndex
from indexer.encoder import Encoder, Vectors
from indexer.retriever import Retriever
from indexer.store import LoadedIndex, load_index

RANK_KEYS = ("hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10")
ANSWER_KEYS = ("answer_acc", "false_abstain", "abstain_unanswerable")


def pooled_passage_vectors(index: LoadedIndex, encoder: Encoder, *, title_weight: float = 0.0) -> tuple[Vectors, int]:
    """The index's passage vectors, each with whole sentences inside replaced by their pooled mean."""
    sentences = np.asarray(index.sentence_embeddings, dtype=np.float32)
    spans: dict[str, list[tuple[int, int, int]]] = {}
    for row in range(len(index.sentences)):
        sentence = index.sentences[row]
        spans.setdefault(sentence.article_id, []).append((sentence.start, sentence.end, row))
    vectors = np.asarray(index.embeddings, dtype=np.float32).copy()
    titles: dict[str, Vectors] = {}
    pooled = 0
    for row in range(len(index.passages)):
        passage = index.passages[row]
        inside = [
            (end - start, r)
            for start, end, r in spans.get(passage.article_id, [])
            if passage.start <= start and end <= passage.end
        ]
        if not inside:
            continue
        weights = np.array([length for length, _ in inside], dtype=np.float32)
        mean = (sentences[[r for _, r in inside]] * weights[:, None]).sum(axis=0) / weights.sum()
        if title_weight > 0 and passage.title:
            if passage.title not in titles:
                titles[passage.title] = encoder.encode([passage.title])[0]
            mean = mean + title_weight * titles[passage.title]
        vectors[row] = mean / np.linalg.norm(mean)
        pooled += 1
    return vectors, pooled


def with_passage_vectors(index: LoadedIndex, vectors: Vectors) -> LoadedIndex:
    """``index`` searching ``vectors`` as its passages' (stored as float16, searched exactly)."""
    return dataclasses.replace(
        index, embeddings=vectors.astype(np.float16), dense=DenseIndex.build(vectors, kind="flat")
    )


class _StudyRetriever(Retriever):
    # The retriever refuses vectors its model did not make (a probe re-encodes one passage):
    # here they were swapped on purpose.
    def _check_model(self) -> None:
        return None


def figures(index: LoadedIndex, encoder: Encoder, questions: Sequence[Question]) -> dict[str, float]:
    """Hybrid and dense rank metrics and the answer shares of ``polysearch eval``."""
    evaluation = evaluate(LocalBackend(_StudyRetriever(index, encoder)), questions, modes=("dense", "hybrid"), k=10)
    hybrid, dense = evaluation.runs["hybrid"].metrics, evaluation.runs["dense"].metrics

    def number(value: float | int | None) -> float:
        return float("nan") if value is None else float(value)  # None: no question of that kind

    found = {f"hybrid {key}": number(hybrid[key]) for key in RANK_KEYS}
    found |= {f"dense {key}": number(dense[key]) for key in RANK_KEYS}
    found |= {key: number(hybrid[key]) for key in ANSWER_KEYS}
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.pooled_passages", description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, action="append", required=True, help="a built index (repeatable)")
    parser.add_argument("--title-weight", type=float, default=0.0, help="weight of the title's vector in the mean")
    parser.add_argument("--questions", type=Path, default=None)
    parser.add_argument("--work", type=Path, default=Path("eval-work"), help="cache of the exported ONNX encoder")
    args = parser.parse_args(argv)
    from indexer.encoders import load_encoder

    encoder = load_encoder(None, backend="onnx", cache_dir=args.work / "encoders", notify=print)
    questions = load_questions(args.questions) if args.questions else load_questions()
    for folder in args.index:
        index = load_index(folder)
        vectors, pooled = pooled_passage_vectors(index, encoder, title_weight=args.title_weight)
        cosine = (np.asarray(index.embeddings, dtype=np.float32) * vectors).sum(axis=1)
        print(
            f"{folder}: {pooled} of {len(index.passages)} passages pooled; cosine to the encoded vectors: "
            f"mean {cosine.mean():.3f}, min {cosine.min():.3f}"
        )
        rows = {
            "encoded": figures(index, encoder, questions),
            "pooled": figures(with_passage_vectors(index, vectors), encoder, questions),
        }
        keys = list(rows["encoded"])
        print("| passages | " + " | ".join(keys) + " |")
        print("|---|" + "---:|" * len(keys))
        for name, found in rows.items():
            print(f"| {name} | " + " | ".join(f"{found[key]:.3f}" for key in keys) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
