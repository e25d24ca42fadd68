"""Cutting an article body into sentence-aligned token windows with exact character spans."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import NamedTuple

import tiktoken

from indexer.errors import BuildError
from indexer.text.sentences import sentence_spans

_WORD = re.compile(r"\S+")


class Span(NamedTuple):
    """A half-open character range ``[start, end)`` of the body and its token count."""

    start: int
    end: int
    n_tokens: int


class Chunker:
    """Greedy sentence packing under a tiktoken budget, with sentence-aligned overlap."""

    def __init__(self, encoding: tiktoken.Encoding, *, chunk_tokens: int, overlap_tokens: int) -> None:
        self.check_params(chunk_tokens, overlap_tokens)
        self.encoding = encoding
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens

    @staticmethod
    def check_params(chunk_tokens: int, overlap_tokens: int) -> None:
        if chunk_tokens < 8:
            raise BuildError(f"chunk_tokens must be at least 8, got {chunk_tokens}")
        if not 0 <= overlap_tokens < chunk_tokens:
            raise BuildError(
                f"overlap_tokens must be at least 0 and below chunk_tokens ({chunk_tokens}), got {overlap_tokens}"
            )

    def count(self, text: str) -> int:
        return len(self.encoding.encode_ordinary(text))

    def chunk(self, body: str, *, fits: Callable[[str], bool] | None = None) -> list[Span]:
        """Windows covering every non-space character of ``body``.

        ``fits`` is the embedding model's own length check: a window it rejects is cut again
        with a smaller budget, so the model never silently truncates a passage.
        """
        windows = self._windows(body, 0, len(body), self.chunk_tokens, self.overlap_tokens)
        if fits is None:
            return windows
        fitted: list[Span] = []
        for window in windows:
            fitted.extend(self._fit(body, window, fits))
        return fitted

    def _fit(self, body: str, window: Span, fits: Callable[[str], bool]) -> list[Span]:
        if fits(body[window.start : window.end]):
            return [window]
        if window.n_tokens <= 1:
            raise BuildError("a single token does not fit the embedding model's input length")
        budget = max(1, window.n_tokens * 3 // 4)
        pieces = self._windows(body, window.start, window.end, budget, 0)
        return [span for piece in pieces for span in self._fit(body, piece, fits)]

    def _units(self, body: str, start: int, end: int, budget: int) -> list[Span]:
        """Sentences of the region, with any sentence over ``budget`` cut at word or token edges."""
        units: list[Span] = []
        for a, b in sentence_spans(body, start, end):
            n = self.count(body[a:b])
            units.extend([Span(a, b, n)] if n <= budget else self._split_long(body, a, b, budget))
        return units

    def _split_long(self, body: str, start: int, end: int, budget: int) -> list[Span]:
        pieces: list[Span] = []
        for word in _WORD.finditer(body, start, end):
            n = self.count(word.group())
            if n <= budget:
                pieces.append(Span(word.start(), word.end(), n))
            else:
                pieces.extend(self._split_tokens(body, word.start(), word.end(), budget))
        return self._pack(body, pieces, budget, 0)

    def _split_tokens(self, body: str, start: int, end: int, budget: int) -> list[Span]:
        tokens = self.encoding.encode_ordinary(body[start:end])
        _, offsets = self.encoding.decode_with_offsets(tokens)
        # Token offsets can fall inside a multi-byte character; cut only where a token starts
        # a new character, and never inside the text's first character.
        cuts = sorted({start + o for o in offsets[budget::budget] if 0 < o < end - start})
        edges = [start, *cuts, end]
        return [Span(a, b, self.count(body[a:b])) for a, b in pairwise(edges) if a < b]

    def _windows(self, body: str, start: int, end: int, budget: int, overlap: int) -> list[Span]:
        units = self._units(body, start, end, budget)
        return self._pack(body, units, budget, overlap)

    def _pack(self, body: str, units: Sequence[Span], budget: int, overlap: int) -> list[Span]:
        windows: list[Span] = []
        first = 0
        while first < len(units):
            last, total = first, units[first].n_tokens
            # Joining units costs at most one extra token per boundary (the separator).
            while last + 1 < len(units) and total + units[last + 1].n_tokens + 1 <= budget:
                last += 1
                total += units[last].n_tokens + 1
            a, b = units[first].start, units[last].end
            n_tokens = self.count(body[a:b])
            # The estimate assumes one token per separator; whitespace runs can cost more.
            while n_tokens > budget and last > first:
                last -= 1
                b = units[last].end
                n_tokens = self.count(body[a:b])
            windows.append(Span(a, b, n_tokens))
            if last + 1 >= len(units):
                break
            next_first, carried = last + 1, 0
            while next_first - 1 > first and carried + units[next_first - 1].n_tokens + 1 <= overlap:
                next_first -= 1
                carried += units[next_first].n_tokens + 1
            first = next_first
        return windows
