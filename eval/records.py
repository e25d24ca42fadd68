"""What the evaluation reads back from a search backend: ranked passages and ask outcomes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One ranked search hit, reduced to what the relevance rule and TREC files need."""

    rank: int
    score: float
    passage_id: str
    article_id: str
    text: str
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class AskOutcome:
    """The answer text (``None`` when abstaining) and the passage it cites."""

    answer: str | None
    abstained: bool
    passage_id: str | None = None
    confidence: float | None = None
