"""``GET /articles/{id}``, its related stories, and ``GET /passages/{id}``: the texts that citations point into."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from service.compute import ComputePool
from service.schemas import ArticleOut, PassageOut, RelatedArticle, RelatedResponse
from service.state import Engine

MAX_RELATED = 20


class DocumentController(Controller):
    tags = ("documents",)

    @get("/articles/{article_id:str}", summary="An article's full body, against which citations are offsets")
    async def article(self, article_id: str, engine: Engine, pool: ComputePool) -> ArticleOut:
        article = engine.retriever.article(article_id)
        # A scan over every passage: cheap per call, but not event-loop work on a big archive.
        passages = await pool.run(engine.retriever.article_passages, article_id)
        versions = engine.retriever.versions.get(article_id, ())
        also_in = [engine.retriever.article(v) for v in versions if v != article_id]
        return ArticleOut.of(article, passages, index_version=engine.version, also_in=also_in)

    @get(
        "/articles/{article_id:str}/related",
        summary="Other stories close in content to an article",
        description="Never a version of the article's own story; another story told in several versions is "
        "listed once, by its most similar version.",
    )
    async def related(
        self,
        article_id: str,
        engine: Engine,
        pool: ComputePool,
        k: Annotated[int, Parameter(ge=1, le=MAX_RELATED, description="number of stories")] = 5,
    ) -> RelatedResponse:
        found = await pool.run(engine.retriever.related, article_id, k)
        return RelatedResponse(
            article_id=article_id,
            related=[RelatedArticle.of(article, score) for article, score in found],
            index_version=engine.version,
        )

    @get("/passages/{passage_id:str}", summary="One passage (its id contains '#', sent as %23)", sync_to_thread=False)
    def passage(self, passage_id: str, engine: Engine) -> PassageOut:
        return PassageOut.of(engine.retriever.passage(passage_id), index_version=engine.version)
