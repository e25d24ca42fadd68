"""A query as read once per request: its text, its language, whether the model covers it, its vector."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import msgspec

from indexer.encoders.base import Vectors
from indexer.models import QueryReading, SearchFilters, SearchMode, TimeReading
from indexer.text.language import Language

# Frozen, so one shared instance is a safe default.
NO_TIME = TimeReading()


@dataclass(frozen=True, slots=True)
class Query:
    """What search and answer need to know about a query, worked out once (``Retriever.read``).

    ``covered``: the model's languages include the query's, or it has no letters at all ("2016"
    means the same in any language); otherwise its vector means nothing and it is ranked by
    keywords alone. ``vector`` is None until encoded, and stays None where no mode would use it.
    """

    text: str
    lang: Language
    covered: bool
    vector: Vectors | None = None
    time: TimeReading = NO_TIME

    def dense(self, mode: SearchMode) -> bool:
        """Whether ``mode`` ranks this query by the model (dense scores) at all."""
        return mode != "keyword" and self.covered

    def reading(self, mode: SearchMode = "hybrid") -> QueryReading:
        """How the query was read, as responses report it."""
        return QueryReading(lang=self.lang, dense=self.dense(mode))

    def with_vector(self, vector: Vectors) -> Query:
        return dataclasses.replace(self, vector=vector)

    @property
    def search_text(self) -> str:
        """The text that is ranked: the query less the time words a filter or "latest" used up.

        "news of 2024 about the forum" searches 2024's articles for "news about the forum": the
        year already did its work as a filter, and as a keyword it would favour articles that
        merely mention 2024. A query that is nothing but time words is ranked as written.
        """
        if not self.time.spans:
            return self.text
        kept, at = [], 0
        for start, end in self.time.spans:
            kept.append(self.text[at:start])
            at = max(at, end)
        kept.append(self.text[at:])
        rest = " ".join("".join(kept).split())
        return rest if any(char.isalnum() for char in rest) else self.text

    def filters(self, given: SearchFilters | None) -> SearchFilters | None:
        """``given`` narrowed by the publication window the text states, never widened.

        The caller's dates always win: where the stated window and theirs do not overlap,
        theirs alone applies.
        """
        time = self.time
        if not time.filter or (time.date_from is None and time.date_to is None):
            return given
        if given is None or (given.date_from is None and given.date_to is None):
            # Only the words set dates: undated articles stay (SearchFilters.keep_undated).
            base = given or SearchFilters()
            return msgspec.structs.replace(base, date_from=time.date_from, date_to=time.date_to, keep_undated=True)
        low = max((d for d in (given.date_from, time.date_from) if d is not None), default=None)
        high = min((d for d in (given.date_to, time.date_to) if d is not None), default=None)
        if low is not None and high is not None and low > high:
            return given
        return msgspec.structs.replace(given, date_from=low, date_to=high)
