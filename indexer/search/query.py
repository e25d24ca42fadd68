"""A query as read once per request: its text, its language, whether the model covers it, its vector."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from indexer.encoders.base import Vectors
from indexer.models import QueryReading, SearchMode
from indexer.text.language import Language


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

    def dense(self, mode: SearchMode) -> bool:
        """Whether ``mode`` ranks this query by the model (dense scores) at all."""
        return mode != "keyword" and self.covered

    def reading(self, mode: SearchMode = "hybrid") -> QueryReading:
        """How the query was read, as responses report it."""
        return QueryReading(lang=self.lang, dense=self.dense(mode))

    def with_vector(self, vector: Vectors) -> Query:
        return dataclasses.replace(self, vector=vector)
