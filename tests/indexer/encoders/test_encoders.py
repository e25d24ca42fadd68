"""Encoder backends without the model: names, compatibility, the manifest record, who loads what."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import msgspec
import numpy as np
import pytest

import indexer.encoders.bf16_backend
import indexer.encoders.onnx_backend
import indexer.encoders.torch_backend
from indexer.build.builder import BuildOptions, build_index
from indexer.encoders import cpu
from indexer.encoders.base import passage_input
from indexer.encoders.registry import (
    BACKENDS,
    DEFAULT_BACKEND,
    backend_of,
    compatible,
    encoder_cache_dir,
    load_encoder,
    parse_backend,
    resolve_backend,
    serving_backend,
)
from indexer.errors import IndexMismatchError, ModelLoadError
from indexer.models import ModelInfo
from indexer.search.retriever import Retriever
from indexer.store.reader import load_index
from service.compute import ComputePool, pooled_query_encoder
from service.config import Settings
from service.errors import ConfigError
from service.state import IndexState
from tests.fakes import FakeEncoder


class BackendFake(FakeEncoder):
    """The fake encoder, saying which backend it stands for."""

    def __init__(self, backend: str) -> None:
        super().__init__()
        self.backend = backend


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, object]]]:
    """Every backend load goes to a fake; the list records (backend, options) of each load."""
    calls: list[tuple[str, dict[str, object]]] = []

    def torch_factory(name: str | None = None) -> BackendFake:
        calls.append(("torch", {"name": name}))
        return BackendFake("torch")

    def onnx_factory(name: str | None = None, **options: object) -> BackendFake:
        backend = "onnx-int8" if options["quantized"] else "onnx"
        calls.append((backend, {"name": name, **options}))
        return BackendFake(backend)

    def bf16_factory(name: str | None = None, **options: object) -> BackendFake:
        calls.append(("torch-bf16", {"name": name, **options}))
        return BackendFake("torch-bf16")

    monkeypatch.setattr(indexer.encoders.torch_backend, "SentenceTransformerEncoder", torch_factory)
    monkeypatch.setattr(indexer.encoders.onnx_backend, "OnnxEncoder", onnx_factory)
    monkeypatch.setattr(indexer.encoders.bf16_backend, "Bf16Encoder", bf16_factory)
    return calls


def _index(tiny_seeds: Path, out: Path, backend: str) -> Path:
    build_index(tiny_seeds, out, BackendFake(backend), BuildOptions(chunk_tokens=32, overlap_tokens=8))
    return out


def test_backend_names_and_compatibility() -> None:
    assert BACKENDS == ("torch", "onnx", "onnx-int8", "torch-bf16")
    assert [parse_backend(b) for b in BACKENDS] == list(BACKENDS)
    with pytest.raises(ValueError, match="onnx-int8"):
        parse_backend("tensorrt")
    # torch, the fp32 export and bfloat16 make the same vectors; int8 vectors are only searched by int8.
    assert compatible("torch", "onnx") and compatible("onnx", "torch") and compatible("onnx-int8", "onnx-int8")
    assert compatible("torch-bf16", "onnx") and compatible("torch-bf16", "torch") and compatible("onnx", "torch-bf16")
    assert not compatible("torch", "onnx-int8") and not compatible("onnx-int8", "onnx")
    assert not compatible("torch-bf16", "onnx-int8")
    assert not compatible("something-new", "torch")
    assert backend_of(FakeEncoder()) == "torch" and backend_of(BackendFake("onnx")) == "onnx"


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\nbugs\t: none\n")
    flags = cpu.cpu_flags(cpuinfo)
    assert "avx512_bf16" in flags and "none" not in flags and cpu.native_bf16(flags)
    assert not cpu.native_bf16(frozenset({"avx512f", "avx2"})) and cpu.native_bf16(frozenset({"amx_bf16"}))
    assert cpu.cpu_flags(tmp_path / "absent") == frozenset()


@pytest.mark.parametrize("flags", [frozenset({"avx2"}), frozenset({"avx512f", "avx512_bf16"}), frozenset({"amx_bf16"})])
def test_the_default_backend_is_the_same_on_every_cpu(flags: frozenset[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # The backend is part of the version: a CPU-made choice would give the same seeds another index.
    monkeypatch.setattr(cpu, "cpu_flags", lambda cpuinfo=None: flags)
    assert resolve_backend("auto") == DEFAULT_BACKEND == "onnx" and resolve_backend("onnx-int8") == "onnx-int8"
    with pytest.raises(ValueError, match="unknown encoder backend 'fast'"):
        resolve_backend("fast")


def test_bf16_is_refused_with_the_reason_on_a_cpu_without_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cpu, "native_bf16", lambda flags=None: False)
    with pytest.raises(ModelLoadError, match=r"needs a CPU with bfloat16 instructions .*use --backend onnx"):
        load_encoder(None, backend="torch-bf16", cache_dir=tmp_path)


def test_an_index_built_in_bfloat16_is_served_by_the_fp32_export(
    tiny_seeds: Path, tmp_path: Path, loads: list[tuple[str, dict[str, object]]]
) -> None:
    assert serving_backend("torch-bf16") == "onnx"
    assert [serving_backend(b) for b in ("torch", "onnx", "onnx-int8")] == ["torch", "onnx", "onnx-int8"]
    index = _index(tiny_seeds, tmp_path / "index", "torch-bf16")
    assert backend_of(Retriever.open(index).encoder) == "onnx"
    assert _state_backend(index, None) == "onnx" and _state_backend(index, "torch-bf16") == "torch-bf16"
    assert [b for b, _ in loads] == ["onnx", "onnx", "torch-bf16"]


def test_unknown_backend_is_a_model_load_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="unknown encoder backend 'cuda'"):
        load_encoder(None, backend="cuda", cache_dir=tmp_path)


def test_manifests_without_a_backend_were_made_by_torch() -> None:
    old = msgspec.json.encode({"name": "m", "dimension": 4, "max_seq_length": 8})
    assert msgspec.json.decode(old, type=ModelInfo).backend == "torch"


def test_cache_dir_is_beside_the_index_unless_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYSEARCH_ENCODER_CACHE", raising=False)
    assert encoder_cache_dir(tmp_path / "index") == tmp_path / "index" / "encoders"
    monkeypatch.setenv("POLYSEARCH_ENCODER_CACHE", str(tmp_path / "cache"))
    assert encoder_cache_dir(tmp_path / "index") == tmp_path / "cache"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_manifest_records_the_backend_and_search_loads_it(
    backend: str, tiny_seeds: Path, tmp_path: Path, loads: list[tuple[str, dict[str, object]]]
) -> None:
    index = _index(tiny_seeds, tmp_path / "index", backend)
    assert load_index(index).manifest.model.backend == backend
    retriever = Retriever.open(index)
    # Served by what the vectors were made with, except bfloat16's (served by onnx, below).
    served = serving_backend(backend)
    assert backend_of(retriever.encoder) == served and [b for b, _ in loads] == [served]
    if served != "torch":
        assert loads[0][1]["cache_dir"] == encoder_cache_dir(index)
    assert retriever.search("Gao Jun delegation", k=1)[0].passage.article_id == "c_weatherless"


def test_a_compatible_backend_may_search_and_an_incompatible_one_is_refused(
    tiny_seeds: Path, tmp_path: Path, loads: list[tuple[str, dict[str, object]]]
) -> None:
    torch_index = _index(tiny_seeds, tmp_path / "torch", "torch")
    assert backend_of(Retriever.open(torch_index, backend="onnx").encoder) == "onnx"
    with pytest.raises(IndexMismatchError, match="'torch' encoder backend, which the 'onnx-int8' backend cannot"):
        Retriever.open(torch_index, backend="onnx-int8")
    int8_index = _index(tiny_seeds, tmp_path / "int8", "onnx-int8")
    with pytest.raises(IndexMismatchError, match="POLYSEARCH_BACKEND=onnx-int8"):
        Retriever(load_index(int8_index), BackendFake("onnx"))
    # Refused before any model was loaded for it.
    assert [b for b, _ in loads] == ["onnx"]


def test_a_backend_of_other_vectors_rebuilds_the_index_and_one_of_the_same_reencodes_nothing(
    tiny_seeds: Path, tmp_path: Path
) -> None:
    options = BuildOptions(chunk_tokens=32, overlap_tokens=8)
    out = _index(tiny_seeds, tmp_path / "index", "torch")
    versions = [load_index(out).version]
    for backend in ("onnx", "torch-bf16"):
        report = build_index(tiny_seeds, out, BackendFake(backend), options)
        # A new version that records the backend, with every passage and vector kept.
        assert report.written and report.version not in versions and report.encoded == 0, backend
        assert load_index(out).manifest.model.backend == backend
        versions.append(report.version)
    report = build_index(tiny_seeds, out, BackendFake("onnx-int8"), options)
    assert report.written and report.encoded == report.passages > 0
    report = build_index(tiny_seeds, out, BackendFake("onnx"), options)
    assert report.written and report.encoded == report.passages


def _state_backend(index: Path, backend: str | None) -> str:
    async def run() -> str:
        pool = ComputePool(1)
        state = IndexState(index, pool=pool, query_encoder_factory=pooled_query_encoder, backend=backend)
        try:
            return backend_of((await state.load()).encoder)
        finally:
            await state.aclose()
            pool.shutdown()

    return asyncio.run(run())


def test_serving_follows_the_manifest_or_polysearch_backend(
    tiny_seeds: Path, tmp_path: Path, loads: list[tuple[str, dict[str, object]]]
) -> None:
    onnx_index = _index(tiny_seeds, tmp_path / "onnx", "onnx")
    assert _state_backend(onnx_index, None) == "onnx"
    assert _state_backend(onnx_index, "torch") == "torch"
    with pytest.raises(IndexMismatchError):
        _state_backend(onnx_index, "onnx-int8")
    assert Settings.from_env({"POLYSEARCH_BACKEND": "onnx-int8"}).backend == "onnx-int8"
    assert Settings.from_env({"POLYSEARCH_BACKEND": ""}).backend is None
    with pytest.raises(ConfigError, match="backend must be one of torch, onnx, onnx-int8, torch-bf16"):
        Settings.from_env({"POLYSEARCH_BACKEND": "gpu"})


def test_cli_index_takes_a_backend(
    tiny_seeds: Path, tmp_path: Path, loads: list[tuple[str, dict[str, object]]], capsys: pytest.CaptureFixture[str]
) -> None:
    from indexer.commands.main import main

    out = tmp_path / "index"
    assert main(["index", "--seeds", str(tiny_seeds), "--out", str(out), "--backend", "onnx-int8", "--quiet"]) == 0
    assert load_index(out).manifest.model.backend == "onnx-int8"
    with pytest.raises(SystemExit) as info:
        main(["index", "--seeds", str(tiny_seeds), "--out", str(out), "--backend", "tensorrt"])
    assert info.value.code == 2 and "invalid choice: 'tensorrt'" in capsys.readouterr().err
    # Without --backend: the default, whatever this CPU computes; the manifest says what ran.
    plain = tmp_path / "default"
    assert main(["index", "--seeds", str(tiny_seeds), "--out", str(plain), "--quiet"]) == 0
    assert load_index(plain).manifest.model.backend == DEFAULT_BACKEND


def test_vectors_are_stored_as_memory_mapped_float16(tiny_index: Path, fake_encoder: FakeEncoder) -> None:
    index = load_index(tiny_index)
    for matrix in (index.embeddings, index.sentence_embeddings):
        assert isinstance(matrix, np.memmap) and matrix.dtype == np.float16 and not matrix.flags.writeable
    fresh = fake_encoder.encode([passage_input(p.title, p.text) for p in index.passages])
    np.testing.assert_allclose(index.embeddings.astype(np.float32), fresh, atol=2.5e-4)
    assert index.manifest.format_version == 6  # 3: float16; 4: segments; 5: records as columns; 6: lazy sentences


def test_the_core_imports_no_onnxruntime_or_torch_until_a_backend_is_chosen() -> None:
    import subprocess

    # Nor bm25s (numba, scipy: about a second of every start): its stopword lists are read as a file.
    code = (
        "import sys, indexer.encoders.registry, indexer.search.retriever, indexer.build.builder; "
        "print(sorted(m for m in ('torch', 'onnxruntime', 'onnx', 'bm25s', 'numba', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
