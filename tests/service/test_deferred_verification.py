"""The first load defers large files' checksums to right after /ready; damage found then stops serving."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from indexer.store import checksums
from indexer.store.layout import live_version_dir
from tests.service.conftest import READY_POLLS, ClientFactory


def _flip_last_value(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01  # inside a vector, so the file still loads and only its checksum differs
    path.write_bytes(bytes(data))


def test_a_damaged_large_file_is_refused_after_the_deferred_check(
    make_client: ClientFactory, tiny_index: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(checksums, "DEFER_CHECKSUM_BYTES", 0)  # every file of the tiny index counts as large
    _flip_last_value(live_version_dir(tiny_index) / "sentence_embeddings.npy")
    client = make_client(ready=False)
    for _ in range(READY_POLLS):
        response = client.get("/ready")
        if response.status_code == 503 and "checksum" in response.text:
            break
        time.sleep(0.01)
    assert response.status_code == 503 and "sentence_embeddings.npy does not match its checksum" in response.text
    assert client.get("/search", params={"q": "office"}).status_code == 503
    assert any(r.getMessage() == "index_verify_failed" for r in caplog.records)


def test_an_intact_index_is_verified_after_ready_and_keeps_serving(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(checksums, "DEFER_CHECKSUM_BYTES", 0)
    caplog.set_level(logging.INFO, logger="service.state")
    client = make_client()
    for _ in range(READY_POLLS):
        if any(r.getMessage() == "index_verified" for r in caplog.records):
            break
        time.sleep(0.01)
    assert any(r.getMessage() == "index_verified" for r in caplog.records)
    assert client.get("/ready").status_code == 200
    assert client.get("/search", params={"q": "office"}).status_code == 200


def test_keyword_scores_are_computed_after_ready_and_answers_do_not_change(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="service.state")
    client = make_client()
    queries = ["office in Shanghai", "ATURC summit", "Gao Jun delegation"]
    # Before or after the background step (the order is the scheduler's): the same hits either way.
    first = [client.get("/search", params={"q": q, "mode": "keyword"}).json()["hits"] for q in queries]
    for _ in range(READY_POLLS):
        if any(r.getMessage() == "keyword_scores_computed" for r in caplog.records):
            break
        time.sleep(0.01)
    assert any(r.getMessage() == "keyword_scores_computed" for r in caplog.records)
    assert [client.get("/search", params={"q": q, "mode": "keyword"}).json()["hits"] for q in queries] == first
    assert all(hits for hits in first)
