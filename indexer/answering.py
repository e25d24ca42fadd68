"""Answering a question with one cited sentence from the retrieved passages, or abstaining."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from indexer.chunking import sentence_spans
from indexer.encoder import Vectors
from indexer.models import Answer, AskResult, Hit, SearchFilters
from indexer.retriever import Retriever

log = logging.getLogger(__name__)

# Question words carry no evidence: "who" matching "who" in a sentence says nothing about
# whether the sentence answers. (The keyword index already drops ordinary English stopwords.)
_QUESTION_WORDS = frozenset(
    {
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "which",
        "why",
        "how",
        "much",
        "mani",
        "many",
        "did",
        "doe",
        "does",
    }
)

AnswerType = Literal["number", "time", "name", "place"]
_TYPE_CUES: tuple[tuple[re.Pattern[str], AnswerType], ...] = (
    (re.compile(r"^\s*(how\s+(many|much|long|old|large|big)|what\s+(number|percentage|share))\b", re.I), "number"),
    (re.compile(r"^\s*(when|what\s+(year|date|day|month)|in\s+which\s+year)\b", re.I), "time"),
    (re.compile(r"^\s*(who|whom|whose)\b", re.I), "name"),
    (re.compile(r"^\s*where\b", re.I), "place"),
)
_DIGIT = re.compile(r"\d")
_NUMBER_WORD = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|dozen|half)\b",
    re.I,
)
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b", re.I)
_CAPITALISED = re.compile(r"\b[A-ZА-ЯЁ][\w'’-]*")
_NAME = re.compile(r"\b[A-ZА-ЯЁ][\w'’-]*\s+[A-ZА-ЯЁ][\w'’-]*")
# A sentence that ends without . ! ? (or a closing quote after one) is a heading or caption line.
_SENTENCE_FINAL = re.compile(r"[.!?…][\"'»”’)\]]*$")


def expected_type(question: str) -> AnswerType | None:
    """The kind of answer a question's opening words ask for, when they say."""
    for cue, kind in _TYPE_CUES:
        if cue.search(question):
            return kind
    return None


def has_type(text: str, kind: AnswerType, question: str) -> bool:
    """Could ``text`` hold an answer of ``kind``? Names and places must be new to the question."""
    if kind == "number":
        return bool(_DIGIT.search(text) or _NUMBER_WORD.search(text))
    if kind == "time":
        return bool(_DIGIT.search(text) or _MONTH.search(text))
    asked = {word.lower() for word in _CAPITALISED.findall(question)}
    # The sentence's first word is capitalised anyway, so it is no evidence of a name.
    words = [m.group() for m in _CAPITALISED.finditer(text) if m.start() > 0]
    new = [word.lower() not in asked for word in words]
    if kind == "place":
        return any(new)
    # A person's name is at least two capitalised words in a row ("Gao Jun", "Dmitry Arseniev").
    return any(any(part.lower() not in asked for part in match.group().split()) for match in _NAME.finditer(text))


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sentence of a retrieved passage with the evidence behind its score."""

    hit: Hit
    start: int
    end: int
    text: str
    cosine: float
    overlap: float
    rank_prior: float
    penalty: float
    score: float


class Answerer:
    """Picks the sentence of the top passages that best answers a question; thread-safe.

    A sentence's score blends the model's cosine between question and sentence (meaning),
    the share of the question's content words it contains (the names and numbers people ask
    about) and the rank of its passage (the retriever's judgement of the whole context), less
    penalties for sentences that cannot be an answer: headings, sentences that only repeat
    the question, and sentences without the kind of answer asked for (no number for "how
    many", no name for "who"). The result, clipped to [0, 1], is the confidence; below
    ``min_confidence`` the answerer abstains rather than cite a sentence that merely shares
    a topic with the question.
    """

    def __init__(
        self,
        retriever: Retriever,
        *,
        cosine_weight: float = 0.6,
        overlap_weight: float = 0.3,
        rank_weight: float = 0.1,
        type_penalty: float = 0.15,
        heading_penalty: float = 0.1,
        echo_penalty: float = 0.2,
        min_confidence: float = 0.5,
        min_words: int = 3,
    ) -> None:
        self.retriever = retriever
        self.cosine_weight = cosine_weight
        self.overlap_weight = overlap_weight
        self.rank_weight = rank_weight
        self.type_penalty = type_penalty
        self.heading_penalty = heading_penalty
        self.echo_penalty = echo_penalty
        self.min_confidence = min_confidence
        self.min_words = min_words

    def ask(
        self,
        question: str,
        *,
        k: int = 5,
        question_vector: Vectors | None = None,
        filters: SearchFilters | None = None,
    ) -> AskResult:
        """Retrieve ``k`` passages (hybrid) and answer from their sentences, or abstain."""
        question = question.strip()
        if question_vector is None:
            question_vector = self.retriever.encode_queries([question])[0]
        hits = self.retriever.search(question, k=k, mode="hybrid", filters=filters, query_vector=question_vector)
        best = self.best_candidate(question, hits, question_vector)
        if best is None or best.score < self.min_confidence:
            log.debug("abstained", extra={"best_score": None if best is None else best.score})
            return AskResult(question=question, answer=None, abstained=True, citations=hits)
        passage = best.hit.passage
        answer = Answer(
            text=best.text,
            passage_id=passage.id,
            article_id=passage.article_id,
            title=passage.title,
            date=passage.date,
            start=best.start,
            end=best.end,
            confidence=round(best.score, 4),
        )
        return AskResult(question=question, answer=answer, abstained=False, citations=hits)

    def best_candidate(self, question: str, hits: list[Hit], question_vector: Vectors) -> Candidate | None:
        candidates = self.candidates(question, hits, question_vector)
        # Highest score first; ties go to the better-ranked passage, then the earlier sentence.
        return min(candidates, key=lambda c: (-c.score, c.hit.rank, c.start), default=None)

    def candidates(self, question: str, hits: list[Hit], question_vector: Vectors) -> list[Candidate]:
        """Every distinct sentence of the hits, scored; a sentence in overlapping passages counts once."""
        spans = self._sentences(hits)
        if not spans:
            return []
        # Sentence vectors were computed at build time: answering costs no extra model call.
        keys = [(hit.passage.article_id, start, end) for hit, start, end, _ in spans]
        vectors = self.retriever.sentence_vectors(keys)
        cosines = vectors @ np.asarray(question_vector, dtype=np.float32)
        question_terms = self._terms(question)
        kind = expected_type(question)
        candidates = []
        for (hit, start, end, text), cosine in zip(spans, cosines):
            terms = self._terms(text)
            overlap = len(question_terms & terms) / len(question_terms) if question_terms else 0.0
            penalty = 0.0
            if not _SENTENCE_FINAL.search(text):
                penalty += self.heading_penalty
            if not terms - question_terms:
                penalty += self.echo_penalty
            if kind is not None and not has_type(text, kind, question):
                penalty += self.type_penalty
            rank_prior = 1.0 / hit.rank
            blend = self.cosine_weight * float(cosine) + self.overlap_weight * overlap + self.rank_weight * rank_prior
            candidates.append(
                Candidate(
                    hit=hit,
                    start=start,
                    end=end,
                    text=text,
                    cosine=float(cosine),
                    overlap=overlap,
                    rank_prior=rank_prior,
                    penalty=penalty,
                    score=min(1.0, max(0.0, blend - penalty)),
                )
            )
        return candidates

    def _sentences(self, hits: list[Hit]) -> list[tuple[Hit, int, int, str]]:
        spans: list[tuple[Hit, int, int, str]] = []
        seen: set[tuple[str, int, int]] = set()
        for hit in hits:
            passage = hit.passage
            body = self.retriever.article(passage.article_id).body
            for start, end in sentence_spans(body, passage.start, passage.end):
                key = (passage.article_id, start, end)
                text = body[start:end]
                if key in seen or len(text.split()) < self.min_words:
                    continue
                seen.add(key)
                spans.append((hit, start, end, text))
        return spans

    def _terms(self, text: str) -> set[str]:
        # The keyword index's own analyser (stemming, stopwords), so "delegations" meets "delegation".
        return {t for t in self.retriever.index.keyword.query_terms(text) if t not in _QUESTION_WORDS}
