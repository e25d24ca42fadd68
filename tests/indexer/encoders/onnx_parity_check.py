"""Run by ``test_onnx_backends.py`` inside a network namespace: ONNX vectors against torch's.

``python -m tests.indexer.encoders.onnx_parity_check compare CACHE OUT`` exports into CACHE and writes
the comparison to OUT as JSON; ``... serve CACHE OUT`` encodes from that cache in a fresh
process and reports what it imported. Everything is measured here and asserted by the test.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

from indexer.encoders.registry import load_encoder
from indexer.sources.articles import read_articles

REPO = Path(__file__).resolve().parents[3]


def interfaces() -> list[str]:
    lines = Path("/proc/net/dev").read_text().splitlines()[2:]
    return sorted(line.split(":")[0].strip() for line in lines)


def real_texts() -> list[str]:
    """Seed article openings of three lengths (beyond 256 tokens, 128-256, short) and questions."""
    texts = []
    for article in list(read_articles(REPO / "seeds")):
        texts += [f"{article.title}\n{article.body[:2400]}", article.body[:700], article.title]
    questions = [json.loads(line)["question"] for line in (REPO / "eval" / "questions.jsonl").open()]
    return texts + questions[:20]


def compare(cache: Path) -> dict[str, object]:
    texts = real_texts()
    notes: list[str] = []
    onnx = load_encoder(None, backend="onnx", cache_dir=cache, notify=notes.append)
    fp32 = onnx.encode(texts, batch_size=8)
    int8 = load_encoder(None, backend="onnx-int8", cache_dir=cache, notify=notes.append).encode(texts, batch_size=8)
    exports_first = len(notes)
    single = np.stack([onnx.encode([text])[0] for text in texts[:6]])
    reopened = load_encoder(None, backend="onnx", cache_dir=cache, notify=notes.append)
    reopened.encode(texts[:1])
    exports_second = len(notes) - exports_first
    repeated = onnx.encode([texts[0], texts[-1], texts[0]])  # a repeated text is encoded once
    graph = _op_counts(onnx.export())
    model = onnx.export()  # the fused graph ``onnx`` runs
    model.write_bytes(model.read_bytes()[:1000])  # a damaged cache is exported again, not used
    damaged = load_encoder(None, backend="onnx", cache_dir=cache, notify=notes.append).encode(texts[:3])
    exports_after_damage = len(notes) - exports_first - exports_second
    torch = load_encoder(None, backend="torch", cache_dir=cache)
    reference = torch.encode(texts)
    return {
        "interfaces": interfaces(),
        "texts": len(texts),
        "torch_tokens": [torch.count_tokens(t) for t in texts],
        "onnx_tokens": [onnx.count_tokens(t) for t in texts],
        "max_seq_length": [onnx.max_seq_length, torch.max_seq_length],
        "fp32_cosines": (fp32 * reference).sum(axis=1).tolist(),
        "single_cosines": (single * reference[:6]).sum(axis=1).tolist(),
        "damaged_cosines": (damaged * reference[:3]).sum(axis=1).tolist(),
        "int8_cosines": (int8 * reference).sum(axis=1).tolist(),
        "repeats_identical": bool(np.array_equal(repeated[0], repeated[2])),
        "repeat_cosines": (repeated * reference[[0, -1, 0]]).sum(axis=1).tolist(),
        "fused_graph_ops": graph,
        "fp32_norms": np.linalg.norm(fp32, axis=1).tolist(),
        "notes": notes,
        "exports": [exports_first, exports_second, exports_after_damage],
    }


def _op_counts(path: Path) -> dict[str, int]:
    import onnx

    counts: dict[str, int] = {}
    for node in onnx.load(str(path)).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


def serve(cache: Path) -> dict[str, object]:
    encoder = load_encoder(None, backend="onnx", cache_dir=cache)
    encoder.encode(["When was the representative office in Shanghai opened?"])
    return {
        "interfaces": interfaces(),
        "torch_imported": "torch" in sys.modules,
        "telemetry_switch": os.environ.get("ORT_DISABLE_TELEMETRY"),
    }


if __name__ == "__main__":
    command, cache, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    result = compare(cache) if command == "compare" else serve(cache)
    out.write_text(json.dumps(result))
