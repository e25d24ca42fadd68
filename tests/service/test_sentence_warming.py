"""After loading an index built with lazy sentence vectors, the service fills them in the background."""

from __future__ import annotations

import time
from pathlib import Path

from indexer.build.builder import BuildOptions, build_index
from indexer.store.sentence_cache import SentenceCache, cache_path
from service.state import IndexState
from tests.fakes import FakeEncoder
from tests.service.conftest import FOLLOW_POLLS, ClientFactory


def test_service_warms_a_lazy_index_into_the_shared_cache(
    make_client: ClientFactory, tiny_seeds: Path, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    index = tmp_path / "lazy-index"
    build_index(tiny_seeds, index, fake_encoder, BuildOptions(chunk_tokens=32, overlap_tokens=8,
                                                              sentence_vectors="lazy"))  # fmt: skip
    client = make_client(index_dir=index)
    state = client.app.state.index
    assert isinstance(state, IndexState)
    retriever = state.engine.retriever
    wanted = len(retriever.index.sentences)
    for _ in range(FOLLOW_POLLS):
        if len(retriever.sentence_store._rows) == wanted:
            break
        time.sleep(0.02)
    # Every sentence filled without any request asking, and written where other workers read it.
    assert len(retriever.sentence_store._rows) == wanted
    path = cache_path(index, retriever.sentence_store.model)
    assert len(SentenceCache(path, fake_encoder.dimension).read_new()) == len(
        {retriever.sentence_store.text(row) for row in range(wanted)}
    )
