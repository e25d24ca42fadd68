"""All query encoding goes through the app's one QueryEncoder (where batching plugs in)."""

from __future__ import annotations

from indexer.encoders.base import Encoder, Vectors
from service.compute import ComputePool, PooledQueryEncoder, QueryEncoder
from tests.fakes import FakeEncoder
from tests.service.conftest import ClientFactory


class Recording:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.closed = 0

    def __call__(self, encoder: Encoder, pool: ComputePool) -> QueryEncoder:
        inner = PooledQueryEncoder(encoder, pool)
        outer = self

        class Recorder:
            async def encode(self, text: str) -> Vectors:
                outer.texts.append(text)
                return await inner.encode(text)

            async def aclose(self) -> None:
                outer.closed += 1

        return Recorder()


def test_search_and_ask_encode_each_query_once_through_the_query_encoder(
    make_client: ClientFactory, fake_encoder: FakeEncoder
) -> None:
    recording = Recording()
    client = make_client(app_kwargs={"query_encoder_factory": recording})
    calls = fake_encoder.calls
    client.get("/search", params={"q": "dense office", "mode": "dense"})
    client.get("/search", params={"q": "hybrid office"})
    client.get("/search", params={"q": "keyword office", "mode": "keyword"})
    assert recording.texts == ["dense office", "hybrid office"]  # keyword search needs no vector
    assert fake_encoder.calls == calls + 2
    client.get("/ask", params={"q": "who led the delegation"})
    assert recording.texts[-1] == "who led the delegation"
    # Only the question meets the model: candidate sentences' vectors come from the index.
    assert fake_encoder.calls == calls + 3


def test_query_encoders_are_closed_at_shutdown(make_client: ClientFactory) -> None:
    recording = Recording()
    client = make_client(app_kwargs={"query_encoder_factory": recording})
    client.__exit__(None, None, None)
    assert recording.closed == 1
