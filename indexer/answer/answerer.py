"""Answering a question with one cited sentence from the retrieved passages, or abstaining."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from indexer.answer import evidence, features
from indexer.answer.evidence import QuestionEvidence, Verdict
from indexer.answer.features import FEATURES, QuestionFacts, SentenceFacts
from indexer.answer.learned import LearnedModel, load_model, top_and_margin
from indexer.answer.question import AnswerKind, asked_focus, event_wordings, expected_kind, kind_evidence
from indexer.encoders.base import Vectors
from indexer.models import Answer, AskResult, Hit, SearchFilters, SearchMode
from indexer.search.query import Query
from indexer.search.retriever import Retriever
from indexer.text.sentences import sentence_spans

log = logging.getLogger(__name__)
_TERMS_CACHE_SIZE = 65_536
Ranker = Literal["learned", "rules"]
RANKERS: tuple[Ranker, ...] = ("learned", "rules")

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


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sentence of a retrieved passage with the evidence behind its score."""

    hit: Hit
    start: int
    end: int
    text: str
    cosine: float
    coverage: float
    evidence: float
    rank_prior: float
    penalty: float
    score: float


@dataclass(frozen=True, slots=True)
class Calibration:
    """Turns the evidence score into the chance that an answer is right (Platt scaling: a logistic curve).

    The raw score (mean of the best sentence cosine and the term coverage) decides abstention; what
    an answer shows as its confidence is this curve's value, fitted on the archive-scale question
    set, so that answers shown at 70 % are right about 70 % of the time there.
    """

    slope: float
    intercept: float

    def __call__(self, score: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.slope * score + self.intercept)))


# Fitted by `python -m eval.tuning.calibration --distractors DIR --fit` (docs/evaluation.md, "Calibration").
ARCHIVE_CALIBRATION = Calibration(slope=2.1799, intercept=-0.6265)


# A sentence that ends without . ! ? (or a closing quote after one) is a heading or caption line.
_SENTENCE_FINAL = re.compile(r"[.!?…][\"'»”’)\]]*$")


def looks_like_heading(text: str) -> bool:
    return not _SENTENCE_FINAL.search(text)


class Answerer:
    """Picks the sentence of the top passages that best answers a question; thread-safe.

    Choosing the sentence: a blend of the model's cosine between question and sentence
    (meaning), the IDF-weighted share of the question's terms the sentence contains (the rare
    names and numbers people ask about count most; "university" counts little), the rank of
    its passage, and whether it holds the kind of fact asked for (a date for "when", a person
    for "who", the expansion for "what does X stand for"), less penalties for headings and
    sentences that only repeat the question.

    Deciding whether to answer at all is a separate question: is there evidence? The
    confidence is the mean of the best sentence cosine and the IDF-weighted share of the
    question's terms covered by the best passage (with its title). A question about something
    the articles never mention ("the Wi-Fi password", "students from India") leaves its rare
    terms uncovered, and the answerer abstains below ``min_confidence``. Weights and threshold
    were chosen on eval/questions.jsonl (docs/evaluation.md, "The answerer's weights and threshold").

    In an archive of hundreds of articles some passage always comes close, so the chosen sentence
    must also pass the evidence check (indexer/answer/evidence.py: the question's years, names, the
    asked-for thing and kind of fact, in its context); otherwise the next of the top
    ``check_depth`` is tried, and if none passes the answerer abstains and says why (``reason``).
    """

    def __init__(
        self,
        retriever: Retriever,
        *,
        cosine_weight: float = 0.3,
        coverage_weight: float = 0.2,
        rank_weight: float = 0.1,
        kind_weight: float = 0.2,
        event_weight: float = 0.1,
        heading_penalty: float = 0.1,
        echo_penalty: float = 0.1,
        min_confidence: float = 0.3,
        min_words: int = 3,
        check_evidence: bool = True,
        check_depth: int = 3,
        context_sentences: int = 2,
        calibration: Calibration | None = ARCHIVE_CALIBRATION,
        ranker: Ranker = "rules",
        model: LearnedModel | None = None,
    ) -> None:
        self.retriever = retriever
        if ranker not in RANKERS:
            raise ValueError(f"ranker must be one of {', '.join(RANKERS)}")
        self.ranker = ranker
        # The learned ranker's coefficients (indexer/answer/model.json), read once per answerer.
        self.model = model if model is not None or ranker != "learned" else _packaged_model()
        self.cosine_weight = cosine_weight
        self.coverage_weight = coverage_weight
        self.rank_weight = rank_weight
        self.kind_weight = kind_weight
        self.event_weight = event_weight
        self.heading_penalty = heading_penalty
        self.echo_penalty = echo_penalty
        self.min_confidence = min_confidence
        self.min_words = min_words
        # Corpus sentences and passages come back request after request; their analysed terms
        # never change for this index, so each text is tokenised and stemmed once (bounded).
        self.terms = functools.lru_cache(maxsize=_TERMS_CACHE_SIZE)(self._analyse)
        self.article_sentences = functools.lru_cache(maxsize=_TERMS_CACHE_SIZE)(self._article_sentences)
        self.article_terms = functools.lru_cache(maxsize=_TERMS_CACHE_SIZE)(self._article_terms)
        self.check_evidence = check_evidence
        self.check_depth = check_depth
        self.context_sentences = context_sentences
        # None shows the raw evidence score (eval/tuning/calibration.py fits the curve from it).
        self.calibration = calibration

    def ask(
        self,
        question: Query | str,
        *,
        k: int = 5,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
    ) -> AskResult:
        """Retrieve ``k`` passages (``mode``, hybrid by default) and answer from their sentences, or abstain.

        The weights and the threshold were chosen on hybrid retrieval; the other modes are for
        comparing what each ranking alone would answer.

        A text is read here (``Retriever.read``); a question without its vector is encoded here
        unless the model does not cover its language (its cosines would not count).
        """
        query = self.retriever.read(question) if isinstance(question, str) else question
        if query.covered:
            query = self.retriever.encoded(query)
        hits = self.retriever.search(query, k=k, mode=mode, filters=filters)
        if self.ranker == "learned":
            return self._ask_learned(query, hits)
        candidates = self.candidates(query, hits)
        best, reason, confidence = self.rules_choice(query, hits, candidates)
        if best is None:
            log.debug("abstained", extra={"confidence": confidence, "reason": reason})
            return AskResult(question=query.text, answer=None, abstained=True, citations=hits, reason=reason)
        passage = best.hit.passage
        answer = Answer(
            text=best.text,
            passage_id=passage.id,
            article_id=passage.article_id,
            title=passage.title,
            date=passage.date,
            start=best.start,
            end=best.end,
            confidence=round(self.calibration(confidence) if self.calibration else confidence, 4),
        )
        return AskResult(question=query.text, answer=answer, abstained=False, citations=hits)

    def rules_choice(
        self, query: Query, hits: list[Hit], candidates: list[Candidate]
    ) -> tuple[Candidate | None, str | None, float]:
        """The rules answerer's sentence (or None and why not) and its evidence score."""
        ranked = sorted(candidates, key=lambda c: (-c.score, c.hit.rank, c.start))
        if query.time.recency:
            ranked = newest_first(ranked, self.check_depth)
        confidence = self.confidence(query, hits, candidates)
        best, reason = self.choose(query.text, hits, ranked)
        if best is not None and confidence < self.min_confidence:
            best, reason = None, "the closest passages do not match the question closely enough"
        return best, reason, confidence

    def _ask_learned(self, query: Query, hits: list[Hit]) -> AskResult:
        """The learned ranker's best sentence, unless the evidence says no or its chance of being right is too low.

        Abstention is the rules answerer's decision (the evidence check and ``min_confidence``: on
        cross-validation no learned abstainer matched it), and the learned abstainer's veto below
        the model's ``threshold``.
        """
        candidates, rows, facts = self.featurize(query, hits)
        model = self.model
        assert model is not None  # set in __init__ whenever the ranker is "learned"
        if not candidates:
            return AskResult(
                question=query.text,
                answer=None,
                abstained=True,
                citations=hits,
                reason="no passage matches the question",
            )
        if not rows[0, FEATURES.index("rules_answers")]:
            _best, reason, confidence = self.rules_choice(query, hits, candidates)
            log.debug("abstained", extra={"confidence": confidence, "reason": reason})
            return AskResult(question=query.text, answer=None, abstained=True, citations=hits, reason=reason)
        logits = model.logits(rows)
        best, top, margin = top_and_margin(logits)
        probability = model.answer_probability(rows[best], top, margin)
        chosen = candidates[best]
        if probability < model.threshold:
            reason = self.reason(query.text, hits, chosen, rows[best], facts)
            log.debug("abstained", extra={"confidence": probability, "reason": reason})
            return AskResult(question=query.text, answer=None, abstained=True, citations=hits, reason=reason)
        passage = chosen.hit.passage
        answer = Answer(
            text=chosen.text,
            passage_id=passage.id,
            article_id=passage.article_id,
            title=passage.title,
            date=passage.date,
            start=chosen.start,
            end=chosen.end,
            confidence=round(probability, 4),
        )
        return AskResult(question=query.text, answer=answer, abstained=False, citations=hits)

    def reason(self, question: str, hits: list[Hit], chosen: Candidate, row: Vectors, facts: QuestionFacts) -> str:
        """Why the learned answerer abstained, in words: the failed feature that cost the best sentence most.

        A failed evidence check already says what is missing in the question's own words; otherwise
        the feature pulling the sentence's score down most names the gap.
        """
        verdict = self._verdict(question, hits, chosen, self._wanted(question))
        if not verdict.supported and verdict.reason:
            return verdict.reason
        model = self.model
        assert model is not None
        contributions = model.contributions(row)
        worst = FEATURES[int(np.argmin(contributions))]
        focus = asked_focus(question)
        if worst in ("focus_sentence", "focus_context") and focus:
            return f"no sentence says what the question asks about ('{focus}')"
        if worst in ("names", "years"):
            missing = features.missing_names(
                facts, self.terms(self.context(chosen)) | self.article_terms(chosen.hit.passage.article_id)
            )
            if missing:
                return f"no passage mentions {', '.join(sorted(' '.join(sorted(g)) for g in missing))}"
        if worst == "kind" and facts.kind is not None:
            return f"the closest passages give no {evidence.KIND_WORDS.get(facts.kind, 'answer of the kind asked')}"
        return "the closest passages do not match the question closely enough"

    def featurize(self, query: Query, hits: list[Hit]) -> tuple[list[Candidate], Vectors, QuestionFacts]:
        """Every candidate sentence of ``hits`` with its row of ``FEATURES`` (indexer/answer/features.py)."""
        candidates = self.candidates(query, hits)
        question = query.text
        kind = expected_kind(question)
        facts = features.question_facts(
            question,
            self.terms,
            self.retriever.index.keyword.idf,
            kind,
            covered=query.covered,
            analyse_list=self.retriever.index.keyword.query_terms,
        )
        if not candidates:
            return [], np.zeros((0, len(FEATURES)), dtype=np.float32), facts
        wanted = self._wanted(question)
        mentioned = self._mentioned(hits)
        # The rules answerer's choice is evidence too: where it answers, and which sentence it cites.
        rules_pick, _reason, _confidence = self.rules_choice(query, hits, candidates)
        context_cosines, places = self._context_cosines(query, candidates)
        top_score = max(hit.score for hit in hits) or 1.0
        best_coverage = max(
            (self.coverage(facts.weights, self.terms(f"{h.passage.title}\n{h.passage.text}")) for h in hits),
            default=0.0,
        )
        sentences = []
        for candidate, context_cosine, (position, lede) in zip(candidates, context_cosines, places, strict=True):
            context = self.context(candidate)
            passage = candidate.hit.passage
            verdict = self._verdict(question, hits, candidate, wanted, mentioned=mentioned, context=context)
            sentences.append(
                SentenceFacts(
                    text=candidate.text,
                    terms=self.terms(candidate.text),
                    term_list=self.retriever.index.keyword.query_terms(candidate.text),
                    context=context,
                    context_terms=self.terms(context),
                    article_terms=self.article_terms(passage.article_id),
                    date=passage.date,
                    cosine=candidate.cosine,
                    cosine_context=context_cosine,
                    dense_passage=candidate.hit.scores.dense or 0.0,
                    rank=candidate.hit.rank,
                    passage_score=candidate.hit.score / top_score,
                    position=position,
                    lede=lede,
                    heading=looks_like_heading(candidate.text),
                    kind_evidence=candidate.evidence,
                    event=self._event(question, candidate.text),
                    evidence=verdict.supported,
                    rules_score=candidate.score,
                    rules_pick=candidate is rules_pick,
                    neighbour_coverage=self.coverage(
                        facts.weights, self.terms(context.replace(candidate.text, " ", 1))
                    ),
                )
            )
        return (
            candidates,
            features.feature_matrix(
                facts, sentences, best_coverage=best_coverage, rules_answers=rules_pick is not None
            ),
            facts,
        )

    @staticmethod
    def _event(question: str, text: str) -> float:
        pattern = event_wordings(question)
        if pattern is None:
            return 0.0
        return 1.0 if pattern.search(text) else -1.0

    def _context_cosines(
        self, query: Query, candidates: list[Candidate]
    ) -> tuple[list[float], list[tuple[float, bool]]]:
        """Each candidate's cosine with the question read with its neighbours, and its place in its article."""
        keys: list[tuple[str, int, int]] = []
        groups: list[list[int]] = []
        places: list[tuple[float, bool]] = []
        for candidate in candidates:
            article_id = candidate.hit.passage.article_id
            spans = self.article_sentences(article_id)
            at = next((i for i, (start, end) in enumerate(spans) if start <= candidate.start < end), None)
            if at is None:
                places.append((0.0, False))
                around = [(candidate.start, candidate.end)]
            else:
                places.append((at / max(1, len(spans) - 1), at == 0))
                around = spans[max(0, at - 1) : at + 2]
            groups.append(list(range(len(keys), len(keys) + len(around))))
            keys.extend((article_id, start, end) for start, end in around)
        if not query.covered:
            return [0.0] * len(candidates), places
        vectors = self.retriever.sentence_vectors(keys)
        question = np.asarray(self.retriever.vector(query), dtype=np.float32)
        cosines = []
        for candidate, group in zip(candidates, groups, strict=True):
            mean = vectors[group].sum(axis=0)
            norm = float(np.linalg.norm(mean))
            covered = self.retriever.covers(candidate.hit.passage)
            cosines.append(float(mean @ question) / norm if norm > 0 and covered else 0.0)
        return cosines, places

    def _wanted(self, question: str) -> QuestionEvidence:
        return evidence.question_evidence(question, self.terms, expected_kind(question))

    def _mentioned(self, hits: list[Hit]) -> frozenset[str]:
        return frozenset[str]().union(*(self.terms(f"{h.passage.title}\n{h.passage.text}") for h in hits))

    def _verdict(
        self,
        question: str,
        hits: list[Hit],
        candidate: Candidate,
        wanted: QuestionEvidence,
        *,
        mentioned: frozenset[str] | None = None,
        context: str | None = None,
    ) -> Verdict:
        context = context if context is not None else self.context(candidate)
        seen = mentioned if mentioned is not None else self._mentioned(hits)
        return evidence.check(
            question,
            wanted,
            candidate.text,
            context,
            self.terms(context),
            self.article_terms(candidate.hit.passage.article_id),
            date=candidate.hit.passage.date,
            mentioned=seen.__contains__,
            sentence_terms=self.terms(candidate.text),
        )

    def choose(self, question: str, hits: list[Hit], ranked: list[Candidate]) -> tuple[Candidate | None, str | None]:
        """The best-scored sentence whose context supports an answer (indexer/answer/evidence.py), or None and why not.

        Only the top ``check_depth`` sentences are tried: further down, a sentence that happens
        to hold the question's words is rarely the answer.
        """
        if not ranked:
            return None, "no passage matches the question"
        if not self.check_evidence:
            return ranked[0], None
        wanted = self._wanted(question)
        mentioned = self._mentioned(hits)
        first: Verdict | None = None
        for candidate in ranked[: self.check_depth]:
            verdict = self._verdict(question, hits, candidate, wanted, mentioned=mentioned)
            if verdict.supported:
                return candidate, None
            first = first or verdict
        return None, first.reason if first is not None else None

    def context(self, candidate: Candidate) -> str:
        """The sentence with ``context_sentences`` neighbours either side, under its article's title."""
        passage = candidate.hit.passage
        body = self.retriever.article(passage.article_id).body
        spans = self.article_sentences(passage.article_id)
        at = next((i for i, (start, end) in enumerate(spans) if start <= candidate.start < end), None)
        if at is None:
            return f"{passage.title}\n{candidate.text}"
        reach = self.context_sentences
        start, end = spans[max(0, at - reach)][0], spans[min(len(spans) - 1, at + reach)][1]
        return f"{passage.title}\n{body[start:end]}"

    def _article_terms(self, article_id: str) -> frozenset[str]:
        article = self.retriever.article(article_id)
        return self._analyse(f"{article.title}\n{article.body}")

    def _article_sentences(self, article_id: str) -> list[tuple[int, int]]:
        return sentence_spans(self.retriever.article(article_id).body)

    def confidence(self, query: Query, hits: list[Hit], candidates: list[Candidate]) -> float:
        """Evidence that the hits answer the question at all, in [0, 1]."""
        if not candidates:
            return 0.0
        weights = self.term_weights(query.text)
        coverage = max(
            (self.coverage(weights, self.terms(f"{hit.passage.title}\n{hit.passage.text}")) for hit in hits),
            default=0.0,
        )
        if not query.covered:
            # The model does not cover the question's language: its cosines are noise.
            return min(1.0, max(0.0, coverage))
        cosine = max(c.cosine for c in candidates)
        return min(1.0, max(0.0, (cosine + coverage) / 2))

    def candidates(self, query: Query, hits: list[Hit]) -> list[Candidate]:
        """Every distinct sentence of the hits, scored; a sentence in overlapping passages counts once."""
        spans = self._sentences(hits)
        if not spans:
            return []
        question = query.text
        cosines = self._cosines(query, spans)
        weights = self.term_weights(question)
        kind = expected_kind(question)
        event = event_wordings(question)
        return [
            self._candidate(hit, start, end, text, float(cosine), weights, kind, question, event)
            for (hit, start, end, text), cosine in zip(spans, cosines)
        ]

    def _cosines(self, query: Query, spans: list[tuple[Hit, int, int, str]]) -> Vectors:
        """Each sentence's cosine with the question; 0 where the model does not cover the language of either.

        A question or sentence outside the model's languages has no meaningful cosine, and such a
        question needs no vector at all.
        """
        if not query.covered:
            return np.zeros(len(spans), dtype=np.float32)
        # Sentence vectors were computed at build time: answering costs no extra model call.
        keys = [(hit.passage.article_id, start, end) for hit, start, end, _ in spans]
        cosines: Vectors = self.retriever.sentence_vectors(keys) @ np.asarray(
            self.retriever.vector(query), dtype=np.float32
        )
        cosines *= np.array([self.retriever.covers(hit.passage) for hit, *_ in spans], dtype=np.float32)
        return cosines

    def _candidate(
        self,
        hit: Hit,
        start: int,
        end: int,
        text: str,
        cosine: float,
        weights: dict[str, float],
        kind: AnswerKind | None,
        question: str,
        event: re.Pattern[str] | None = None,
    ) -> Candidate:
        terms = self.terms(text)
        coverage = self.coverage(weights, terms)
        evidence = kind_evidence(kind, question, text)
        penalty = 0.0
        if looks_like_heading(text):
            penalty += self.heading_penalty
        if not terms - weights.keys():
            penalty += self.echo_penalty
        rank_prior = 1.0 / hit.rank
        # Strong evidence of the asked-for kind adds, none subtracts, weak is neutral.
        kind_term = self.kind_weight * (2 * evidence - 1) if kind is not None else 0.0
        # The question's event ("set up") in any of its wordings ("created"): a word match cannot see it.
        event_term = self.event_weight if event is not None and event.search(text) else 0.0
        score = (
            self.cosine_weight * cosine
            + self.coverage_weight * coverage
            + self.rank_weight * rank_prior
            + kind_term
            + event_term
            - penalty
        )
        return Candidate(hit, start, end, text, cosine, coverage, evidence, rank_prior, penalty, score)

    def term_weights(self, question: str) -> dict[str, float]:
        """The question's analysed terms with their IDF: rare names and numbers weigh most."""
        return {term: self.retriever.index.keyword.idf(term) for term in self.terms(question)}

    @staticmethod
    def coverage(weights: dict[str, float], terms: frozenset[str]) -> float:
        """The IDF-weighted share of the question's terms that ``terms`` contains."""
        total = sum(weights.values())
        return sum(w for term, w in weights.items() if term in terms) / total if total > 0 else 0.0

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

    def _analyse(self, text: str) -> frozenset[str]:
        # The keyword index's own analyser (stemming, stopwords), so "delegations" meets "delegation".
        return frozenset(t for t in self.retriever.index.keyword.query_terms(text) if t not in _QUESTION_WORDS)


@functools.cache
def _packaged_model() -> LearnedModel:
    """The shipped model, read once per process: every answerer shares it."""
    return load_model()


def newest_first(ranked: list[Candidate], depth: int) -> list[Candidate]:
    """The best ``depth`` candidates reordered newest article first (undated last), the rest after.

    For "the latest news about ...": the answer comes from the newest article whose sentence
    passes the evidence check, not from an older one that scores a little higher.
    """
    head = sorted(
        ranked[:depth],
        key=lambda c: -(dt.date.fromisoformat(c.hit.passage.date).toordinal() if c.hit.passage.date else 0),
    )
    return head + ranked[depth:]
