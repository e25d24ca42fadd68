"""``GET /articles/{id}`` and ``GET /passages/{id}``: the texts that citations point into."""

from __future__ import annotations

from litestar import Controller, get

from service.compute import ComputePool
from service.schemas import ArticleOut, PassageOut
from service.state import Engine


class DocumentController(Controller):
    tags = ("documents",)

    @get("/articles/{article_id:str}", summary="An article's full body, against which citations are offsets")
    async def article(self, article_id: str, engine: Engine, pool: ComputePool) -> ArticleOut:
        article = engine.retriever.article(article_id)
        # A scan over every passage: cheap per call, but not event-loop work on a big archive.
        passages = await pool.run(engine.retriever.article_passages, article_id)
        return ArticleOut.of(article, passages, index_version=engine.version)

    @get("/passages/{passage_id:str}", summary="One passage (its id contains '#', sent as %23)", sync_to_thread=False)
    def passage(self, passage_id: str, engine: Engine) -> PassageOut:
        return PassageOut.of(engine.retriever.passage(passage_id), index_version=engine.version)
