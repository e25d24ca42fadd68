"""The ONNX backends against torch on real texts, run inside a network namespace with only loopback.

onnxruntime has made telemetry lookups despite offline settings; in a namespace with no route
out, a regression fails here instead of leaking. Skipped only where namespaces cannot be made.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.model


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True)
    return probe.returncode == 0


def _in_namespace(command: str, cache: Path, out: Path) -> dict[str, object]:
    if not _namespaces_work():
        pytest.skip("cannot create a network namespace here (unshare -n needs root or user namespaces)")
    script = (
        f"ip link set lo up; exec {sys.executable} -m tests.indexer.encoders.onnx_parity_check {command} {cache} {out}"
    )
    done = subprocess.run(["unshare", "-n", "sh", "-c", script], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(out.read_text())
    # Proof the check ran cut off: the namespace has loopback and nothing else.
    assert result["interfaces"] == ["lo"]
    return result


def test_onnx_vectors_equal_torch_and_int8_stays_close(tmp_path: Path) -> None:
    result = _in_namespace("compare", tmp_path / "cache", tmp_path / "compare.json")
    torch_tokens, onnx_tokens = result["torch_tokens"], result["onnx_tokens"]
    assert isinstance(torch_tokens, list) and onnx_tokens == torch_tokens
    assert result["max_seq_length"] == [256, 256]
    # Texts past the tokenizer file's 128 and past the model's 256 tokens are both covered.
    assert any(128 < n <= 256 for n in torch_tokens) and any(n > 256 for n in torch_tokens)
    for key in ("fp32_cosines", "single_cosines", "damaged_cosines", "repeat_cosines"):
        cosines = result[key]
        assert isinstance(cosines, list) and min(cosines) >= 0.99999, (key, cosines)
    assert result["repeats_identical"] is True
    # ``onnx`` runs the fused graph: one Attention kernel per layer, no unfused softmax or LayerNorm left.
    ops = result["fused_graph_ops"]
    assert isinstance(ops, dict) and ops.get("Attention") == 6 and ops.get("EmbedLayerNormalization") == 1, ops
    assert "Softmax" not in ops and "LayerNormalization" not in ops, ops
    int8 = result["int8_cosines"]
    assert isinstance(int8, list) and min(int8) >= 0.97 and sum(int8) / len(int8) >= 0.985, int8
    norms = result["fp32_norms"]
    assert isinstance(norms, list) and all(abs(n - 1.0) < 1e-5 for n in norms)
    # fp32 and int8 exported once each, with a message; reused; redone when the file is damaged.
    assert result["exports"] == [2, 0, 1]
    notes = result["notes"]
    assert isinstance(notes, list) and "one-off export to ONNX" in notes[0]

    served = _in_namespace("serve", tmp_path / "cache", tmp_path / "serve.json")
    assert served["torch_imported"] is False and served["telemetry_switch"] == "1"
