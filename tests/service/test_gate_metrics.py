"""The service keeps serving the live version while the quality gate holds a newer one, and counts the holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import indexer.encoders.torch_backend
from indexer.build.builder import BuildOptions, build_index
from indexer.commands.gate import read_gate, settle
from indexer.store.layout import CURRENT, read_held
from tests.fakes import FakeEncoder
from tests.service.conftest import ClientFactory, wait_ready


def test_a_held_version_is_not_served_and_is_counted(
    make_client: ClientFactory, tiny_seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    index = tmp_path / "gated"
    options = BuildOptions(chunk_tokens=32, overlap_tokens=8)
    live = build_index(tiny_seeds, index, FakeEncoder(), options).version
    questions = tmp_path / "gate.jsonl"
    record = {"id": "g1", "question": "Who led the delegation?", "doc_ids": ["c_weatherless"], "answers": ["Gao Jun"]}
    questions.write_text(json.dumps(record) + "\n", encoding="utf-8")
    (tiny_seeds / "c_weatherless.md").write_text("## Delegation\n\nLorem ipsum dolor sit amet.", encoding="utf-8")
    # The gate loads the query encoder the manifest names: the fake stands in for it.
    monkeypatch.setattr(indexer.encoders.torch_backend, "SentenceTransformerEncoder", lambda name=None: FakeEncoder())
    held = BuildOptions(chunk_tokens=32, overlap_tokens=8, go_live=False)
    report = build_index(tiny_seeds, index, FakeEncoder(), held)
    verdict = settle(index, report, read_gate(questions, 0.02))
    assert verdict is not None and not verdict.passed and read_held(index) is not None
    assert (index / CURRENT).read_text().strip() == f"v-{live}"

    client = make_client(index_dir=index)
    assert wait_ready(client)["index_version"] == live
    assert "polysearch_gate_rejections_total 1" in client.get("/metrics").text
