"""Memory and cold start of a large archive without hours of model time: real text, random vectors.

``python -m eval.bench.synthetic --passages 100000 --work DIR`` writes the synthetic archive of
``eval.bench.corpus`` (real sentences recombined), builds it with an encoder that returns random
unit vectors (passage 0 excepted: the service re-encodes it to check the model, so it gets its
real vector), then starts ``polysearch serve`` on it several times and reports seconds to
/ready and resident memory (anonymous and file-backed) when ready and after some searches.

The vectors are random, so the figures say nothing about quality, only about the cost of
holding, verifying and searching an archive of that shape. The script uses only APIs that
existed before the encoder backends, so the same file measures an older checkout side by side
(copy it into that checkout and run it there with ``-m``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np
from tokenizers import Tokenizer

from eval.bench.corpus import write_corpus
from eval.bench.server import ServiceProcess, proc_status_kib
from indexer.builder import BuildOptions, build_index
from indexer.encoder import DEFAULT_MODEL, SentenceTransformerEncoder, resolve_model

QUERIES = (
    "When was the representative office in Shanghai opened?",
    "Who led the delegation from Jiangsu?",
    "How many universities are members of the association?",
    "internships and joint laboratories",
)


class RandomVectorEncoder:
    """Random unit vectors of the model's shape, the model's own token counts for chunking."""

    backend = "onnx"

    def __init__(self, seed: int = 0) -> None:
        self.name, location = resolve_model(None)
        self.dimension = 384
        self.max_seq_length = 256
        self._tokenizer = Tokenizer.from_file(str(Path(location) / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._rng = np.random.default_rng(seed)
        self._first = True

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        vectors = self._rng.standard_normal((len(texts), self.dimension), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        if self._first and texts:
            # The first passage of a fresh build is the one the service's model probe re-encodes.
            vectors[0] = SentenceTransformerEncoder(DEFAULT_MODEL).encode([texts[0]])[0]
            self._first = False
        return vectors

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=True).ids)


def memory(pid: int) -> dict[str, float]:
    return {field: (proc_status_kib(pid, field) or 0) / 1024 for field in ("VmRSS", "RssAnon", "RssFile", "VmHWM")}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--work", type=Path, required=True, help="scratch directory (corpus, index, logs)")
    parser.add_argument("--starts", type=int, default=3, help="cold starts to measure")
    parser.add_argument("--reuse", action="store_true", help="keep an index already built in --work")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    corpus, index = args.work / "corpus", args.work / "index"
    built: dict[str, object] = {}
    if not (args.reuse and index.is_dir()):
        shutil.rmtree(args.work, ignore_errors=True)
        args.work.mkdir(parents=True)
        write_corpus(args.seeds, corpus, n_passages=args.passages)
        started = time.perf_counter()
        report = build_index(corpus, index, RandomVectorEncoder(), BuildOptions())
        built = {"passages": report.passages, "build_s": round(time.perf_counter() - started, 1)}
        print(f"built {report.passages} passages in {built['build_s']} s", file=sys.stderr, flush=True)
    size = sum(p.stat().st_size for p in index.rglob("*") if p.is_file() and "encoders" not in p.parts)
    runs = []
    for attempt in range(args.starts):
        with ServiceProcess(index, args.work / "service.log") as service:
            seconds = service.start()
            ready = memory(service.pid)
            with httpx.Client(timeout=60) as client:
                for query in QUERIES:
                    for mode in ("hybrid", "dense"):
                        response = client.get(f"{service.url}/search", params={"q": query, "mode": mode})
                        response.raise_for_status()
                    client.get(f"{service.url}/ask", params={"q": query}).raise_for_status()
            runs.append({"cold_start_s": round(seconds, 2), "ready": ready, "after_searches": memory(service.pid)})
            print(f"start {attempt + 1}: {json.dumps(runs[-1])}", file=sys.stderr, flush=True)
    result = {"index_bytes": size, **built, "runs": runs}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
