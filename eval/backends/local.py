"""The in-process backend: a ``Retriever`` and an ``Answerer`` over an index directory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from eval.backends.caching import CachingEncoder
from eval.records import AskOutcome, Retrieved
from indexer.answer.answerer import Answerer, Ranker
from indexer.encoders.base import Encoder
from indexer.encoders.registry import encoder_cache_dir, load_encoder, serving_backend
from indexer.models import Hit, SearchMode
from indexer.search.fusion import FusionConfig
from indexer.search.query import Query
from indexer.search.retriever import Retriever
from indexer.store.reader import load_index


def retrieved(hit: Hit) -> Retrieved:
    passage = hit.passage
    return Retrieved(
        rank=hit.rank,
        score=hit.score,
        passage_id=passage.id,
        article_id=passage.article_id,
        text=passage.text,
        lang=passage.lang,
    )


class LocalBackend:
    """Searches and answers in this process; give it a ``CachingEncoder`` so each text is embedded once."""

    def __init__(
        self,
        retriever: Retriever,
        answerer: Answerer | None = None,
        *,
        label: str | None = None,
        infer_dates: bool = True,
    ) -> None:
        self.retriever = retriever
        self.infer_dates = infer_dates
        self.answerer = answerer or Answerer(retriever)
        manifest = retriever.index.manifest
        chunking = manifest.chunking
        self.description = (
            f"{label or retriever.index.directory} (version {retriever.version}, model {manifest.model.name}, "
            f"chunks {chunking.chunk_tokens}/{chunking.overlap_tokens} tokens, "
            f"fusion {retriever.fusion.method} w={retriever.fusion.weight})"
        )

    @classmethod
    def open(
        cls,
        index_dir: Path,
        *,
        encoder: Encoder | None = None,
        fusion: FusionConfig | None = None,
        ranker: Ranker | None = None,
        infer_dates: bool = True,
    ) -> LocalBackend:
        """Load ``index_dir`` with the model its manifest names (or ``encoder``), memoising embeddings.

        ``ranker`` picks the answerer's sentence ranker ("rules" or "learned"); None keeps its default.
        """
        index = load_index(index_dir)
        info = index.manifest.model
        model = encoder or load_encoder(
            info.name, backend=serving_backend(info.backend), cache_dir=encoder_cache_dir(index_dir)
        )
        retriever = Retriever(index, CachingEncoder(model), fusion=fusion)
        answerer = Answerer(retriever, ranker=ranker) if ranker is not None else None
        return cls(retriever, answerer, label=str(index_dir), infer_dates=infer_dates)

    def _read(self, queries: Sequence[str], now: Sequence[dt.date | None] | None) -> list[Query]:
        """Each query read once (against its day), its vector from one batched model call."""
        days = now if now is not None else [None] * len(queries)
        read = [
            self.retriever.read(text, today=day, infer_dates=self.infer_dates)
            for text, day in zip(queries, days, strict=True)
        ]
        vectors = self.retriever.encode_queries([query.search_text for query in read])
        return [query.with_vector(vector) for query, vector in zip(read, vectors, strict=True)]

    def search(
        self, queries: Sequence[str], *, k: int, mode: SearchMode, now: Sequence[dt.date | None] | None = None
    ) -> list[list[Retrieved]]:
        return [
            [retrieved(hit) for hit in self.retriever.search(query, k=k, mode=mode)]
            for query in self._read(queries, now)
        ]

    def ask(self, queries: Sequence[str], *, now: Sequence[dt.date | None] | None = None) -> list[AskOutcome]:
        outcomes = []
        for query in self._read(queries, now):
            result = self.answerer.ask(query)
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

    def article_langs(self, ids: Sequence[str]) -> dict[str, str | None]:
        """Each article's language (``None`` for one the index does not hold)."""
        articles = self.retriever.index.articles
        return {a: articles[a].lang if a in articles else None for a in ids}

    def passages(self) -> list[tuple[str, str, str]]:
        return [(p.id, p.article_id, p.text) for p in self.retriever.index.passages]

    def close(self) -> None:
        return None
