"""Fixtures for the evaluation tests: a fake service over the real articles, fake-encoded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import msgspec
import pytest

from indexer.answer.answerer import Answerer
from indexer.commands.search import hit_record
from indexer.search.retriever import Retriever
from tests.fakes import FakeEncoder

Handler = Callable[[httpx.Request], httpx.Response]


def fake_service(retriever: Retriever) -> Handler:
    """``/search`` and ``/ask`` answering like the service, from an in-process retriever."""
    answerer = Answerer(retriever)

    def handle(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if request.url.path == "/search":
            hits = retriever.search(params["q"], k=int(params["k"]), mode=params["mode"])  # type: ignore[arg-type]
            return httpx.Response(200, json={"hits": [hit_record(hit) for hit in hits], "version": retriever.version})
        if request.url.path == "/ask":
            result = answerer.ask(params["q"])
            answer = msgspec.to_builtins(result.answer) if result.answer else None
            return httpx.Response(200, json={"answer": answer, "abstained": result.abstained, "citations": []})
        return httpx.Response(404, json={"error": "not_found", "detail": request.url.path})

    return handle


@pytest.fixture
def seeds_retriever(seeds_index: Path, fake_encoder: FakeEncoder) -> Retriever:
    return Retriever.open(seeds_index, encoder=fake_encoder)


@pytest.fixture
def seeds_service(seeds_retriever: Retriever) -> Handler:
    return fake_service(seeds_retriever)
