"""Memory and cold start of a large archive without hours of model time: real text, random vectors.

``python -m eval.bench.synthetic --passages 100000 --work DIR`` writes an index through the
store's own writer (``indexer.store.write_index``: the same files, checksums and dense index a
build writes) for articles made of the seed articles' real sentences, four passages of four to
five sentences each (the real archive's shape: ~4.5 sentences a passage). Vectors are random
unit vectors, except passage 0, which gets its real vector because the service re-encodes it
to check the model. Then ``polysearch serve`` is started on it several times, reporting seconds
to /ready and resident memory (anonymous and file-backed) when ready and after some requests.

The vectors are random, so the figures say nothing about quality, only about the cost of
holding, verifying and searching an archive of that shape. Only APIs that existed before the
encoder backends are used, so a copy of this file measures an older checkout the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np

from eval.bench.corpus import SentencePool
from eval.harness.server import ServiceProcess, proc_status_kib
from indexer.build.builder import ENCODING, PIPELINE_VERSION
from indexer.encoders.base import DEFAULT_MODEL, Vectors, passage_input
from indexer.models import Article, ChunkParams, ModelInfo, Passage, Sentence
from indexer.store.dense import choose_kind
from indexer.store.layout import live_version_dir, read_manifest
from indexer.store.segments import IndexContent
from indexer.store.writer import write_index

QUERIES = (
    "When was the representative office in Shanghai opened?",
    "Who led the delegation from Jiangsu?",
    "How many universities are members of the association?",
    "internships and joint laboratories",
)
DIMENSION = 384


def synthetic_content(pool: SentencePool, n_passages: int, seed: int) -> IndexContent:
    rng = random.Random(seed)
    articles: list[Article] = []
    passages: list[Passage] = []
    sentences: list[Sentence] = []
    number = 0
    while len(passages) < n_passages:
        article_id = f"syn_{number:07d}"
        title = rng.choice(pool.headlines)
        groups = [[rng.choice(pool.sentences) for _ in range(rng.randint(4, 5))] for _ in range(4)]
        body, spans = "", []
        for group in groups:
            start = len(body) + (1 if body else 0)
            body = f"{body} {' '.join(group)}" if body else " ".join(group)
            spans.append((start, len(body), group))
        for ordinal, (start, end, group) in enumerate(spans):
            passages.append(
                Passage(
                    id=f"{article_id}#{ordinal}",
                    article_id=article_id,
                    ordinal=ordinal,
                    title=title,
                    date=None,
                    start=start,
                    end=end,
                    n_tokens=len(body[start:end].split()),
                    text=body[start:end],
                )
            )
            cursor = start
            for sentence in group:
                sentences.append(Sentence(article_id=article_id, start=cursor, end=cursor + len(sentence)))
                cursor += len(sentence) + 1
        digest = hashlib.sha256(body.encode()).hexdigest()
        articles.append(
            Article(id=article_id, title=title, date=None, body=body, source=f"{article_id}.txt", content_hash=digest)
        )
        number += 1
    generator = np.random.default_rng(seed)

    def unit(rows: int) -> Vectors:
        vectors: Vectors = generator.standard_normal((rows, DIMENSION), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors

    return IndexContent(articles, passages, unit(len(passages)), sentences, unit(len(sentences)))


def memory(pid: int) -> dict[str, float]:
    fields = ("VmRSS", "RssAnon", "RssFile", "VmHWM")
    return {field: round((proc_status_kib(pid, field) or 0) / 1024, 1) for field in fields}


def build(index: Path, seeds: Path, n_passages: int, backend: str) -> dict[str, object]:
    from indexer.encoders.torch_backend import SentenceTransformerEncoder

    started = time.perf_counter()
    content = synthetic_content(SentencePool.from_seeds(seeds), n_passages, seed=0)
    first = content.passages[0]
    # The model probe re-encodes passage 0 when the service loads; it must find its real vector.
    probe = SentenceTransformerEncoder(DEFAULT_MODEL).encode([passage_input(first.title, first.text)])
    content.embeddings[0] = probe[0]
    info: dict[str, object] = {"name": DEFAULT_MODEL, "dimension": DIMENSION, "max_seq_length": 256}
    if "backend" in ModelInfo.__struct_fields__:  # absent before the encoder backends
        info["backend"] = backend
    chunking = ChunkParams(chunk_tokens=224, overlap_tokens=32, encoding=ENCODING, pipeline=PIPELINE_VERSION)
    kind = choose_kind(len(content.passages))
    write_index(index, model=ModelInfo(**info), chunking=chunking, content=content, dense_kind=kind)  # type: ignore[arg-type]
    written = time.perf_counter()
    # `polysearch index` leaves the ONNX export in the index's cache; so does this, or the
    # first cold start would time the one-off export (15 s here) instead of a start.
    try:
        from indexer.encoders.registry import encoder_cache_dir, load_encoder
    except ImportError:  # a checkout from before the encoder backends
        pass
    else:
        if backend != "torch":  # torch has nothing to export
            load_encoder(DEFAULT_MODEL, backend=backend, cache_dir=encoder_cache_dir(index)).export()  # type: ignore[attr-defined]
    return {
        "passages": len(content.passages),
        "sentences": len(content.sentences),
        "dense": kind,
        "write_s": round(written - started, 1),
        "export_s": round(time.perf_counter() - written, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--work", type=Path, required=True, help="scratch directory (index, logs), emptied first")
    parser.add_argument("--starts", type=int, default=3, help="cold starts to measure")
    parser.add_argument("--backend", default="onnx", help="backend recorded in the manifest (where it is recorded)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--index", type=Path, default=None, help="measure the starts on this existing index instead of writing one"
    )
    args = parser.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    built: dict[str, object]
    if args.index is not None:
        index, built = args.index, {"segments": len(read_manifest(live_version_dir(args.index)).segments)}
    else:
        index = args.work / "index"
        built = build(index, args.seeds, args.passages, args.backend)
    print(f"built {json.dumps(built)}", file=sys.stderr, flush=True)
    size = sum(p.stat().st_size for p in index.rglob("*") if p.is_file() and "encoders" not in p.parts)
    runs = []
    for attempt in range(args.starts):
        with ServiceProcess(index, args.work / "service.log") as service:
            seconds = service.start()
            ready = memory(service.pid)
            with httpx.Client(timeout=60) as client:
                for query in QUERIES:
                    for mode in ("hybrid", "dense"):
                        client.get(f"{service.url}/search", params={"q": query, "mode": mode}).raise_for_status()
                    client.get(f"{service.url}/ask", params={"q": query}).raise_for_status()
            runs.append({"cold_start_s": round(seconds, 2), "ready": ready, "after_requests": memory(service.pid)})
            print(f"start {attempt + 1}: {json.dumps(runs[-1])}", file=sys.stderr, flush=True)
    result = {"index_mib": round(size / 2**20, 1), **built, "runs": runs}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
