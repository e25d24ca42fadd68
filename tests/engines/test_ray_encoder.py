"""What ``--engine ray`` hands the cluster: the local backend, its export and its batches (no cluster started)."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import indexer.encoders.registry
from indexer.commands.options import build_backend
from indexer.commands.sync import _encoder_factory
from indexer.encoders.registry import DEFAULT_BACKEND
from indexer.engines import ray_embed
from tests.fakes import FakeEncoder


class OnnxLike(FakeEncoder):
    """A fake that, like the ONNX backends, names its backend, exports a file and plans its batches."""

    backend = "onnx"

    def __init__(self) -> None:
        super().__init__()
        self.exports = 0

    def export(self) -> Path:
        self.exports += 1
        return Path("model.onnx")

    def batch_rows(self, texts: Sequence[str], batch_size: int) -> list[list[int]]:
        return [list(range(len(texts)))]


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every ``load_encoder`` call (the fake loads instantly); ``import_ray`` is not needed here."""
    calls: list[dict[str, Any]] = []

    def load_encoder(name: str | None, **options: Any) -> OnnxLike:
        calls.append({"name": name, **options})
        encoder = OnnxLike()
        calls[-1]["encoder"] = encoder
        return encoder

    monkeypatch.setattr(indexer.encoders.registry, "load_encoder", load_encoder)
    monkeypatch.setattr(ray_embed, "import_ray", lambda: None)
    return calls


def test_cluster_encoder_runs_the_local_backend_and_exports_once(
    loads: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    encoder = ray_embed.cluster_encoder("some-model", backend="onnx-int8", cache_dir=Path("idx/encoders"),
                                        workers=3, address="head:6379", cpus_per_worker=2)  # fmt: skip
    (local,) = loads
    assert local["backend"] == "onnx-int8" and local["encoder"].exports == 1
    assert encoder.backend == "onnx" and encoder.workers == 3 and encoder.address == "head:6379"
    # The actors get the same model and backend, the export by absolute path, threads = their CPUs.
    factory = encoder.factory
    assert isinstance(factory, functools.partial)
    assert factory.args == ("some-model",)
    assert factory.keywords == {"backend": "onnx-int8", "cache_dir": tmp_path / "idx" / "encoders", "threads": 2}


def test_ray_encoder_keeps_the_local_encoder_for_everything_but_encode() -> None:
    local = OnnxLike()
    encoder = ray_embed.RayEncoder(local, OnnxLike, workers=2)
    assert (encoder.name, encoder.dimension, encoder.backend) == (local.name, local.dimension, "onnx")
    assert encoder.count_tokens("a few words here") == local.count_tokens("a few words here")
    assert encoder.encode([]).shape == (0, local.dimension)


def test_sync_engine_ray_embeds_on_the_cluster_with_the_backend_a_sync_resolved(
    loads: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import indexer.engines.ray_cluster

    monkeypatch.setattr(indexer.engines.ray_cluster, "import_ray", lambda: None)
    args = argparse.Namespace(engine="ray", model=None, out=tmp_path / "index", ray_workers=4, ray_address="h:1")
    backend = build_backend("auto")
    assert backend == DEFAULT_BACKEND and build_backend("torch") == "torch"
    encoder = _encoder_factory(args, backend)()
    assert isinstance(encoder, ray_embed.RayEncoder)
    assert loads[0]["backend"] == DEFAULT_BACKEND and encoder.workers == 4 and encoder.address == "h:1"


class NamedFake(FakeEncoder):
    """The fake encoder, naming the backend it was loaded for (the manifest, and so the version, record it)."""

    def __init__(self, backend: str) -> None:
        super().__init__()
        self.backend = backend


def test_the_default_local_and_ray_builds_are_one_version_on_a_cpu_with_bfloat16(
    tiny_seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from indexer.commands.main import main
    from indexer.encoders import cpu
    from indexer.store.reader import load_index

    # A CPU with bfloat16 instructions, where a CPU-made choice once picked torch-bf16 locally only.
    monkeypatch.setattr(cpu, "cpu_flags", lambda cpuinfo=None: frozenset({"avx512f", "avx512_bf16", "amx_bf16"}))
    import indexer.encoders.bf16_backend
    import indexer.encoders.onnx_backend
    import indexer.encoders.torch_backend

    monkeypatch.setattr(indexer.encoders.torch_backend, "SentenceTransformerEncoder", lambda n=None: NamedFake("torch"))
    monkeypatch.setattr(indexer.encoders.bf16_backend, "Bf16Encoder", lambda n=None, **o: NamedFake("torch-bf16"))
    monkeypatch.setattr(indexer.encoders.onnx_backend, "OnnxEncoder",
                        lambda n=None, *, quantized, **o: NamedFake("onnx-int8" if quantized else "onnx"))  # fmt: skip
    # The cluster encoder without a cluster: what the actors would run is what it was handed.
    monkeypatch.setattr(ray_embed, "cluster_encoder", lambda name, *, backend, **o: NamedFake(backend))
    versions = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        assert main(["index", "--seeds", str(tiny_seeds), "--out", str(out), "--engine", engine, "--quiet"]) == 0
        manifest = load_index(out).manifest
        versions[engine] = (manifest.model.backend, manifest.version)
    assert versions["local"] == versions["ray"] and versions["local"][0] == DEFAULT_BACKEND
