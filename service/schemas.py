"""Request and response bodies of the JSON API, as msgspec Structs (they are the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from indexer.models import Answer, Article, AskResult, Hit, Passage, QueryReading, SearchMode, TimeReading

MAX_QUERY_CHARS = 1000
MAX_K = 50

K = Annotated[int, msgspec.Meta(ge=1, le=MAX_K, description=f"number of passages, 1 to {MAX_K}")]


class AskRequest(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /ask``: a question, and how many passages to draw the answer from."""

    question: Annotated[str, msgspec.Meta(description=f"1 to {MAX_QUERY_CHARS} characters after trimming")]
    k: K = 5
    now: Annotated[str | None, msgspec.Meta(description="the day relative expressions are read against, ISO")] = None
    infer_dates: bool = True


class Scores(msgspec.Struct, frozen=True, kw_only=True):
    """The dense (cosine) and keyword (BM25) scores behind a hit's fused score."""

    dense: float | None
    keyword: float | None


class HitOut(msgspec.Struct, frozen=True, kw_only=True):
    """A ranked passage; ``text`` is exactly ``article.body[start:end]``."""

    rank: int
    score: float
    scores: Scores
    passage_id: str
    article_id: str
    title: str
    date: str | None
    start: int
    end: int
    text: str
    # The original news page of a web article (None for articles read from files).
    url: str | None = None
    lang: str | None = None

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        passage = hit.passage
        return cls(
            rank=hit.rank,
            score=hit.score,
            scores=Scores(dense=hit.scores.dense, keyword=hit.scores.keyword),
            passage_id=passage.id,
            article_id=passage.article_id,
            title=passage.title,
            date=passage.date,
            start=passage.start,
            end=passage.end,
            text=passage.text,
            url=passage.url,
            lang=passage.lang,
        )


class Interpreted(msgspec.Struct, frozen=True, kw_only=True):
    """What the query says about time: the publication window it states or hints at, and "latest".

    ``filter`` true: results were restricted to the window (with any dates the request set,
    never wider); false with dates: articles nearer the window rank higher. ``text`` quotes the
    words it was read from. All null/false when the query says nothing of time, or with
    ``infer_dates=false``.
    """

    date_from: str | None
    date_to: str | None
    recency: bool
    text: str | None
    filter: bool

    @classmethod
    def of(cls, time: TimeReading) -> Interpreted:
        return cls(
            date_from=time.date_from.isoformat() if time.date_from else None,
            date_to=time.date_to.isoformat() if time.date_to else None,
            recency=time.recency,
            text=time.text,
            filter=time.filter,
        )


NO_TIME = Interpreted(date_from=None, date_to=None, recency=False, text=None, filter=False)

LANG_DOC = "the language the query was read as: ru, en, zh or other"
DENSE_DOC = "whether the embedding model ranked this query (false: keywords alone, e.g. a language it does not cover)"


class SearchResponse(msgspec.Struct, frozen=True, kw_only=True):
    query: str
    mode: SearchMode
    k: int
    index_version: str
    took_ms: float
    hits: list[HitOut]
    query_lang: Annotated[str, msgspec.Meta(description=LANG_DOC)]
    dense_used: Annotated[bool, msgspec.Meta(description=DENSE_DOC)]
    interpreted: Interpreted = NO_TIME


class AnswerOut(msgspec.Struct, frozen=True, kw_only=True):
    """The answering sentence; ``text`` is exactly ``article.body[start:end]``."""

    text: str
    passage_id: str
    article_id: str
    title: str
    date: str | None
    start: int
    end: int
    confidence: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
    url: str | None = None

    @classmethod
    def of(cls, answer: Answer, *, url: str | None = None) -> AnswerOut:
        return cls(**msgspec.structs.asdict(answer), url=url)


class AskResponse(msgspec.Struct, frozen=True, kw_only=True):
    question: str
    answer: AnswerOut | None
    abstained: bool
    citations: list[HitOut]
    index_version: str
    took_ms: float
    query_lang: Annotated[str, msgspec.Meta(description=LANG_DOC)]
    dense_used: Annotated[bool, msgspec.Meta(description=DENSE_DOC)]
    # Why the answerer abstained, in plain words; null when it answered.
    reason: str | None = None
    interpreted: Interpreted = NO_TIME

    @classmethod
    def of(
        cls,
        result: AskResult,
        *,
        index_version: str,
        took_ms: float,
        reading: QueryReading,
        time: TimeReading | None = None,
    ) -> AskResponse:
        return cls(
            interpreted=NO_TIME if time is None else Interpreted.of(time),
            query_lang=reading.lang,
            dense_used=reading.dense,
            question=result.question,
            answer=None if result.answer is None else AnswerOut.of(result.answer, url=_answer_url(result)),
            abstained=result.abstained,
            citations=[HitOut.of(hit) for hit in result.citations],
            index_version=index_version,
            took_ms=took_ms,
            reason=result.reason,
        )


def _answer_url(result: AskResult) -> str | None:
    """The answer's page: its passage is among the citations, which carry the url."""
    answer = result.answer
    if answer is None:
        return None
    return next((hit.passage.url for hit in result.citations if hit.passage.id == answer.passage_id), None)


class ArticleOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    title: str
    date: str | None
    body: str
    passage_ids: list[str]
    index_version: str
    url: str | None = None
    lang: str | None = None
    date_source: str | None = None

    @classmethod
    def of(cls, article: Article, passages: list[Passage], *, index_version: str) -> ArticleOut:
        return cls(
            id=article.id,
            title=article.title,
            date=article.date,
            body=article.body,
            passage_ids=[p.id for p in passages],
            index_version=index_version,
            url=article.url,
            lang=article.lang,
            date_source=article.date_source,
        )


class PassageOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    article_id: str
    ordinal: int
    title: str
    date: str | None
    start: int
    end: int
    text: str
    index_version: str
    url: str | None = None
    lang: str | None = None

    @classmethod
    def of(cls, passage: Passage, *, index_version: str) -> PassageOut:
        return cls(
            id=passage.id,
            article_id=passage.article_id,
            ordinal=passage.ordinal,
            title=passage.title,
            date=passage.date,
            start=passage.start,
            end=passage.end,
            text=passage.text,
            index_version=index_version,
            url=passage.url,
            lang=passage.lang,
        )


class Health(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["ok"]


class Readiness(msgspec.Struct, frozen=True, kw_only=True):
    ready: bool
    index_version: str | None
    passages: int | None
    detail: str | None = None


class WorkerOut(msgspec.Struct, frozen=True, kw_only=True):
    """One serving process: the version it serves and its last reload error, if any."""

    worker: str
    index_version: str | None
    error: str | None


class ReloadResponse(msgspec.Struct, frozen=True, kw_only=True):
    reloaded: bool
    index_version: str
    previous_version: str | None
    passages: int
    took_ms: float
    # Every worker process with a live heartbeat (this one included), after the reload.
    workers: list[WorkerOut] = msgspec.field(default_factory=list)


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    """Every error: a stable code, a human-readable detail, the offending field when there is one."""

    error: str
    detail: str
    field: str | None = None
