"""Request and response bodies of the JSON API, as msgspec Structs (they are the OpenAPI schema)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Literal

import msgspec

from indexer.models import SEARCH_MODES, Answer, Article, AskResult, Hit, Passage, QueryReading, SearchMode, TimeReading
from indexer.search.grouping import GROUP_DEPTH, ArticleGroup, Facets
from indexer.search.snippets import Snippet, make_snippet

MAX_QUERY_CHARS = 1000
MAX_K = 50
# A page of results starts at most at the last passage a query folds: any next_offset a response
# gives (offset + k while results remain) is accepted, whatever k the client pages with.
MAX_OFFSET = GROUP_DEPTH - 1
# The languages the index records for a passage (indexer.text.language).
LANGS = ("en", "ru", "zh", "other")
Lang = Literal["en", "ru", "zh", "other"]
Group = Literal["passage", "article"]
DATE_HELP = "ISO (2020-10-05) or as written (17 июля 2025, 05.10.2020, June 1, 2023)"

K = Annotated[int, msgspec.Meta(ge=1, le=MAX_K, description=f"number of passages, 1 to {MAX_K}")]

# What each parameter allows, in the words a 400 answer gives when a value breaks the rule
# (service/errors.py); the framework's own messages ("Expected `int` >= 1") name no range.
PARAMETER_RULES = {
    "k": f"must be a whole number from 1 to {MAX_K}",
    "offset": f"must be a whole number from 0 to {MAX_OFFSET}",
    "mode": f"must be one of {', '.join(SEARCH_MODES)}",
    "group": "must be passage or article",
    "lang": f"must be one of {', '.join(LANGS)}",
    "question": f"must be text of 1 to {MAX_QUERY_CHARS} characters",
    "date_from": f"must be a date: {DATE_HELP}",
    "date_to": f"must be a date: {DATE_HELP}",
    "article_id": "must be an article id (repeatable)",
}


class AskRequest(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /ask``: the parameters of ``GET /ask``, with ``question`` for ``q``."""

    question: Annotated[str, msgspec.Meta(description=f"1 to {MAX_QUERY_CHARS} characters after trimming")]
    k: K = 5
    date_from: Annotated[str | None, msgspec.Meta(description=f"earliest article date (inclusive): {DATE_HELP}")] = None
    date_to: Annotated[str | None, msgspec.Meta(description=f"latest article date (inclusive): {DATE_HELP}")] = None
    article_id: Annotated[list[str] | None, msgspec.Meta(description="only these articles")] = None
    lang: Annotated[Lang | None, msgspec.Meta(description="only passages in this language")] = None
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
ASKS_DOC = "whether the query asks something (a question or statement) rather than naming a topic"
DENSE_DOC = "whether the embedding model ranked this query (false: keywords alone, e.g. a language it does not cover)"
QUERY_ID_DOC = "the request's id in the query log, for POST /feedback; null when the log is off"


class SpanOut(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    """``[start, end]``: character offsets into the article body."""

    start: int
    end: int


class SnippetOut(msgspec.Struct, frozen=True, kw_only=True):
    """A few sentences of a passage: ``text`` is exactly ``article.body[start:end]``.

    ``highlights`` are the query's words in it, as ``[start, end]`` offsets into the body (a client
    marks ``text[start - snippet.start : end - snippet.start]``); ``cut_before``/``cut_after``: the
    passage goes on before/after it.
    """

    text: str
    start: int
    end: int
    highlights: list[SpanOut]
    cut_before: bool
    cut_after: bool

    @classmethod
    def of(cls, snippet: Snippet) -> SnippetOut:
        return cls(
            text=snippet.text,
            start=snippet.start,
            end=snippet.end,
            highlights=[SpanOut(start=a, end=b) for a, b in snippet.highlights],
            cut_before=snippet.cut_before,
            cut_after=snippet.cut_after,
        )


class PassageMatchOut(msgspec.Struct, frozen=True, kw_only=True):
    """Another matching passage of a result's article; ``start``/``end`` are its span in the body."""

    rank: Annotated[int, msgspec.Meta(description="its rank among all passages the query matched")]
    score: float
    passage_id: str
    start: int
    end: int
    snippet: SnippetOut

    @classmethod
    def of(cls, hit: Hit, terms: frozenset[str], weights: Mapping[str, float]) -> PassageMatchOut:
        passage = hit.passage
        return cls(
            rank=hit.rank,
            score=hit.score,
            passage_id=passage.id,
            start=passage.start,
            end=passage.end,
            snippet=SnippetOut.of(make_snippet(passage, terms, weights=weights)),
        )


class VersionOut(msgspec.Struct, frozen=True, kw_only=True):
    """Another version of a result's story (a translation, a repost): where to read it."""

    article_id: str
    lang: str | None
    title: str
    url: str | None
    date: str | None

    @classmethod
    def of(cls, article: Article) -> VersionOut:
        return cls(article_id=article.id, lang=article.lang, title=article.title, url=article.url, date=article.date)


ALSO_IN_DOC = (
    "the other versions of this article's story (a translation, a repost), by article id; the story is listed "
    "once, in the query's language when that version matched; empty for an article told once"
)


class ArticleResultOut(msgspec.Struct, frozen=True, kw_only=True):
    """One story (``group=article``): the shown version's best passage and snippet, other matches, other versions."""

    rank: int
    score: Annotated[float, msgspec.Meta(description="the best passage's score")]
    article_id: str
    title: str
    date: str | None
    lang: str | None
    url: str | None
    passage_id: Annotated[str, msgspec.Meta(description="the best passage")]
    start: int
    end: int
    snippet: SnippetOut
    more_count: Annotated[int, msgspec.Meta(description="how many more of its passages matched")]
    more: list[PassageMatchOut]
    also_in: Annotated[list[VersionOut], msgspec.Meta(description=ALSO_IN_DOC)] = msgspec.field(default_factory=list)

    @classmethod
    def of(
        cls,
        group: ArticleGroup,
        terms: frozenset[str],
        weights: Mapping[str, float],
        *,
        also_in: Sequence[Article] = (),
    ) -> ArticleResultOut:
        best = group.best.passage
        return cls(
            rank=group.rank,
            score=group.best.score,
            article_id=best.article_id,
            title=best.title,
            date=best.date,
            lang=best.lang,
            url=best.url,
            passage_id=best.id,
            start=best.start,
            end=best.end,
            snippet=SnippetOut.of(make_snippet(best, terms, weights=weights)),
            more_count=len(group.more),
            more=[PassageMatchOut.of(hit, terms, weights) for hit in group.more],
            also_in=[VersionOut.of(article) for article in also_in],
        )


class FacetOut(msgspec.Struct, frozen=True, kw_only=True):
    value: str
    count: int


class FacetsOut(msgspec.Struct, frozen=True, kw_only=True):
    """Stories matching the query (versions of one counted once) per year (``undated`` too) and per language."""

    year: list[FacetOut]
    lang: list[FacetOut]

    @classmethod
    def of(cls, facets: Facets) -> FacetsOut:
        return cls(
            year=[FacetOut(value=v, count=n) for v, n in facets.years],
            lang=[FacetOut(value=v, count=n) for v, n in facets.langs],
        )


class SearchResponse(msgspec.Struct, frozen=True, kw_only=True):
    query: str
    mode: SearchMode
    k: int
    index_version: str
    took_ms: float
    hits: Annotated[list[HitOut], msgspec.Meta(description="ranked passages (group=passage); empty for group=article")]
    query_lang: Annotated[str, msgspec.Meta(description=LANG_DOC)]
    dense_used: Annotated[bool, msgspec.Meta(description=DENSE_DOC)]
    group: Group = "passage"
    offset: int = 0
    total: Annotated[int, msgspec.Meta(description="matching passages (group=passage) or stories (group=article)")] = 0
    next_offset: Annotated[int | None, msgspec.Meta(description="the offset of the next page; null on the last")] = None
    results: Annotated[list[ArticleResultOut], msgspec.Meta(description="one per story (group=article)")] = (
        msgspec.field(default_factory=list)
    )
    facets: FacetsOut = msgspec.field(default_factory=lambda: FacetsOut(year=[], lang=[]))
    asks_question: Annotated[bool, msgspec.Meta(description=ASKS_DOC)] = False
    query_id: Annotated[str | None, msgspec.Meta(description=QUERY_ID_DOC)] = None
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
    also_in: Annotated[list[VersionOut], msgspec.Meta(description=ALSO_IN_DOC)] = msgspec.field(default_factory=list)

    @classmethod
    def of(cls, answer: Answer, *, url: str | None = None, also_in: Sequence[Article] = ()) -> AnswerOut:
        return cls(**msgspec.structs.asdict(answer), url=url, also_in=[VersionOut.of(a) for a in also_in])


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
    query_id: Annotated[str | None, msgspec.Meta(description=QUERY_ID_DOC)] = None
    interpreted: Interpreted = NO_TIME

    @classmethod
    def of(
        cls,
        result: AskResult,
        *,
        index_version: str,
        took_ms: float,
        reading: QueryReading,
        query_id: str | None = None,
        time: TimeReading | None = None,
        also_in: Sequence[Article] = (),
    ) -> AskResponse:
        """``also_in``: the other versions of the answer's story, for its card."""
        return cls(
            interpreted=NO_TIME if time is None else Interpreted.of(time),
            query_lang=reading.lang,
            dense_used=reading.dense,
            question=result.question,
            answer=None
            if result.answer is None
            else AnswerOut.of(result.answer, url=_answer_url(result), also_in=also_in),
            abstained=result.abstained,
            citations=[HitOut.of(hit) for hit in result.citations],
            index_version=index_version,
            took_ms=took_ms,
            reason=result.reason,
            query_id=query_id,
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
    also_in: Annotated[
        list[VersionOut], msgspec.Meta(description="the other versions of this article's story, by article id")
    ] = msgspec.field(default_factory=list)

    @classmethod
    def of(
        cls, article: Article, passages: list[Passage], *, index_version: str, also_in: Sequence[Article] = ()
    ) -> ArticleOut:
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
            also_in=[VersionOut.of(version) for version in also_in],
        )


class RelatedArticle(msgspec.Struct, frozen=True, kw_only=True):
    """Another story close in content: its cosine to the article (mean passage vectors; BM25 of the
    title for a language the model does not cover)."""

    article_id: str
    title: str
    date: str | None
    lang: str | None
    url: str | None
    similarity: float

    @classmethod
    def of(cls, article: Article, similarity: float) -> RelatedArticle:
        return cls(
            article_id=article.id,
            title=article.title,
            date=article.date,
            lang=article.lang,
            url=article.url,
            similarity=round(similarity, 4),
        )


class RelatedResponse(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /articles/{id}/related``: other stories, most similar first, newest first among equals."""

    article_id: str
    related: list[RelatedArticle]
    index_version: str


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
