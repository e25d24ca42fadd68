"""The HTTP backend: a running polysearch service's ``/search`` and ``/ask`` endpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import quote

import httpx
import msgspec

from eval.errors import EvalError
from eval.records import AskOutcome, Retrieved
from indexer.models import SearchMode

DEFAULT_TIMEOUT_S = 60.0


class _Hit(msgspec.Struct):
    passage_id: str
    article_id: str
    text: str
    rank: int | None = None
    score: float = 0.0
    lang: str | None = None


class _Article(msgspec.Struct):
    lang: str | None = None


class _SearchResponse(msgspec.Struct):
    hits: list[_Hit]


class _Answer(msgspec.Struct):
    text: str
    passage_id: str | None = None
    confidence: float | None = None


class _AskResponse(msgspec.Struct):
    answer: _Answer | None
    abstained: bool


def _error_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and "error" in body:
        return f"{body.get('error')}: {body.get('detail')}"
    return str(body)[:200]


class HttpBackend:
    """Talks to the service the way any client would; it cannot list passages, so judgements are pooled."""

    def __init__(self, url: str, *, client: httpx.Client | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        self.description = f"service at {self.url}"
        self._client = client or httpx.Client(base_url=self.url, timeout=timeout)

    def _get(self, path: str, params: dict[str, str | int]) -> bytes:
        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise EvalError(f"cannot reach {self.url}{path}: {exc}") from exc
        if response.status_code != 200:
            raise EvalError(f"{self.url}{path} answered {response.status_code} ({_error_detail(response)})")
        return response.content

    def search(
        self, queries: Sequence[str], *, k: int, mode: SearchMode, now: Sequence[dt.date | None] | None = None
    ) -> list[list[Retrieved]]:
        results = []
        for query, day in zip(queries, now if now is not None else [None] * len(queries), strict=True):
            params: dict[str, str | int] = {"q": query, "k": k, "mode": mode}
            if day is not None:
                params["now"] = day.isoformat()
            body = self._get("/search", params)
            try:
                hits = msgspec.json.decode(body, type=_SearchResponse).hits
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise EvalError(f"{self.url}/search returned an unexpected body: {exc}") from exc
            results.append(
                [
                    Retrieved(
                        rank=hit.rank if hit.rank is not None else position,
                        score=hit.score,
                        passage_id=hit.passage_id,
                        article_id=hit.article_id,
                        text=hit.text,
                        lang=hit.lang,
                    )
                    for position, hit in enumerate(hits, start=1)
                ]
            )
        return results

    def ask(self, queries: Sequence[str], *, now: Sequence[dt.date | None] | None = None) -> list[AskOutcome]:
        outcomes = []
        for query, day in zip(queries, now if now is not None else [None] * len(queries), strict=True):
            params: dict[str, str | int] = {"q": query}
            if day is not None:
                params["now"] = day.isoformat()
            body = self._get("/ask", params)
            try:
                reply = msgspec.json.decode(body, type=_AskResponse)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise EvalError(f"{self.url}/ask returned an unexpected body: {exc}") from exc
            answer = reply.answer
            outcomes.append(
                AskOutcome(
                    answer=answer.text if answer else None,
                    abstained=reply.abstained,
                    passage_id=answer.passage_id if answer else None,
                    confidence=answer.confidence if answer else None,
                )
            )
        return outcomes

    def article_langs(self, ids: Sequence[str]) -> dict[str, str | None]:
        """Each article's language, as ``GET /articles/{id}`` gives it."""
        langs: dict[str, str | None] = {}
        for article_id in ids:
            body = self._get(f"/articles/{quote(article_id, safe='')}", {})
            try:
                langs[article_id] = msgspec.json.decode(body, type=_Article).lang
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise EvalError(f"{self.url}/articles/{article_id} returned an unexpected body: {exc}") from exc
        return langs

    def passages(self) -> None:
        return None

    def close(self) -> None:
        self._client.close()
