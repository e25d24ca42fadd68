"""The in-process backend: a ``Retriever`` and an ``Answerer`` over an index directory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eval.records import AskOutcome, Retrieved
from indexer.answering import Answerer
from indexer.encoder import Encoder, Vectors
from indexer.fusion import FusionConfig
from indexer.models import Hit, SearchMode
from indexer.retriever import Retriever


def retrieved(hit: Hit) -> Retrieved:
    passage = hit.passage
    return Retrieved(
        rank=hit.rank, score=hit.score, passage_id=passage.id, article_id=passage.article_id, text=passage.text
    )


class LocalBackend:
    """Searches and answers in this process; each question is encoded once for all modes and ``ask``."""

    def __init__(self, retriever: Retriever, answerer: Answerer | None = None, *, label: str | None = None) -> None:
        self.retriever = retriever
        self.answerer = answerer or Answerer(retriever)
        manifest = retriever.index.manifest
        chunking = manifest.chunking
        self.description = (
            f"{label or retriever.index.directory} (version {retriever.version}, model {manifest.model.name}, "
            f"chunks {chunking.chunk_tokens}/{chunking.overlap_tokens} tokens, "
            f"fusion {retriever.fusion.method} w={retriever.fusion.weight})"
        )
        self._vectors: dict[str, Vectors] = {}

    @classmethod
    def open(
        cls, index_dir: Path, *, encoder: Encoder | None = None, fusion: FusionConfig | None = None
    ) -> LocalBackend:
        return cls(Retriever.open(index_dir, encoder=encoder, fusion=fusion), label=str(index_dir))

    def _encode(self, queries: Sequence[str]) -> list[Vectors]:
        missing = sorted({q for q in queries if q not in self._vectors})
        if missing:
            for query, vector in zip(missing, self.retriever.encode_queries(missing), strict=True):
                self._vectors[query] = vector
        return [self._vectors[q] for q in queries]

    def search(self, queries: Sequence[str], *, k: int, mode: SearchMode) -> list[list[Retrieved]]:
        vectors = self._encode(queries)
        return [
            [retrieved(hit) for hit in self.retriever.search(query, k=k, mode=mode, query_vector=vector)]
            for query, vector in zip(queries, vectors, strict=True)
        ]

    def ask(self, queries: Sequence[str]) -> list[AskOutcome]:
        outcomes = []
        for query, vector in zip(queries, self._encode(queries), strict=True):
            result = self.answerer.ask(query, question_vector=vector)
            answer = result.answer
            outcomes.append(
                AskOutcome(
                    answer=answer.text if answer else None,
                    abstained=result.abstained,
                    passage_id=answer.passage_id if answer else None,
                    confidence=answer.confidence if answer else None,
                )
            )
        return outcomes

    def passages(self) -> list[tuple[str, str, str]]:
        return [(p.id, p.article_id, p.text) for p in self.retriever.index.passages]

    def close(self) -> None:
        return None
