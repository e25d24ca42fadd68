"""What the evaluation needs from a search system, in-process or over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from eval.records import AskOutcome, Retrieved
from indexer.models import SearchMode


class Backend(Protocol):
    """A search system under evaluation; ``passages`` is ``None`` when it cannot list them all."""

    description: str

    def search(
        self, queries: Sequence[str], *, k: int, mode: SearchMode, now: Sequence[dt.date | None] | None = None
    ) -> list[list[Retrieved]]:
        """The top ``k`` passages per query, best first; ``now``: the day each query is asked on (None: today)."""
        ...

    def ask(self, queries: Sequence[str], *, now: Sequence[dt.date | None] | None = None) -> list[AskOutcome]:
        """One answer (or abstention) per query, with the system's own answering settings."""
        ...

    def passages(self) -> list[tuple[str, str, str]] | None:
        """Every ``(passage_id, article_id, text)`` of the index, for full relevance judgements."""
        ...

    def close(self) -> None: ...
