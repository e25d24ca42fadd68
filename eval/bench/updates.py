"""What an update costs: seconds and bytes written to add articles to an existing index, against its size.

Bytes written are counted two ways: the files of the new version that are not hard links to
files of the previous one (what the build wrote to disk), and the bytes this process passed to
``write(2)`` during the build (``wchar`` of /proc/self/io, which also counts logs and files
written and deleted again). The share is the first against the size of the new version.

``python -m eval.bench.updates --corpus DIR --work DIR`` builds an index of the article folder
with the packaged model and adds 1, then 10 new articles (recombined seed sentences);
``--synthetic N`` instead writes an index of N passages with random vectors
(``eval.bench.synthetic``; bytes do not depend on the model) and adds real-model articles to it.

A build only adds a segment; merging is a separate step once the update is live
(``indexer.store.merging``). ``merge_cost`` adds one article at a time until a merge is due, then
times the merge and counts its bytes the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.bench.corpus import SentencePool, synthetic_articles
from eval.bench.table import table
from eval.errors import EvalError
from indexer.build.builder import BuildOptions, build_from_articles, build_index
from indexer.encoders.base import DEFAULT_MODEL, Encoder
from indexer.models import Article
from indexer.sources.articles import content_hash, parse_article
from indexer.store.layout import live_version_dir, read_manifest
from indexer.store.merging import merge_once
from indexer.store.plan import MAX_SEGMENTS
from indexer.store.reader import load_index

COUNTS = (1, 10)


@dataclass(frozen=True, slots=True)
class UpdateCost:
    """One update: ``articles`` added to an index of ``passages_before`` passages."""

    passages_before: int
    articles: int
    passages_added: int
    seconds: float
    written_bytes: int
    write_call_bytes: int
    index_bytes: int
    segments: int

    @property
    def share(self) -> float:
        return _share(self.written_bytes, self.index_bytes)


def _share(written: int, total: int) -> float:
    return written / total if total else 0.0


@dataclass(frozen=True, slots=True)
class MergeCost:
    """The merge that became due after ``updates`` one-article updates (each adding a segment)."""

    passages: int
    updates: int
    segments_before: int
    segments_after: int
    seconds: float
    written_bytes: int
    index_bytes: int

    @property
    def share(self) -> float:
        return _share(self.written_bytes, self.index_bytes)


def new_articles(seeds_dir: Path, count: int, *, seed: int) -> list[Article]:
    """``count`` articles of recombined seed sentences, with ids no archive here uses."""
    pool = SentencePool.from_seeds(seeds_dir)
    made = []
    for number, article in enumerate(synthetic_articles(pool, n_passages=10**9, seed=seed)):
        if number == count:
            break
        raw = article.text.encode()
        made.append(
            parse_article(f"upd_{seed}_{number:03d}", article.text, source=article.name, digest=content_hash(raw))
        )
    return made


def _version_files(index_dir: Path) -> dict[int, int]:
    """Inode -> size of each file of the live version."""
    return {p.stat().st_ino: p.stat().st_size for p in live_version_dir(index_dir).rglob("*") if p.is_file()}


def _write_calls() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def add_articles(index_dir: Path, articles: Sequence[Article], encoder: Encoder) -> UpdateCost:
    """Add ``articles`` to the index as a sync or ``polysearch index`` run would, and measure it."""
    index = load_index(index_dir)
    existing, passages_before = list(index.articles.values()), len(index.passages)
    del index
    before = _version_files(index_dir)
    calls = _write_calls()
    started = time.perf_counter()
    report = build_from_articles([*existing, *articles], index_dir, encoder, BuildOptions())
    seconds = time.perf_counter() - started
    calls = _write_calls() - calls
    if not report.written or len(report.unchanged) != len(existing) or len(report.added) != len(articles):
        raise EvalError(f"the update did not add {len(articles)} articles to an unchanged index: {report}")
    after = _version_files(index_dir)
    return UpdateCost(
        passages_before=passages_before,
        articles=len(articles),
        passages_added=report.encoded,
        seconds=seconds,
        written_bytes=sum(size for inode, size in after.items() if inode not in before),
        write_call_bytes=calls,
        index_bytes=sum(after.values()),
        segments=len(read_manifest(live_version_dir(index_dir)).segments),
    )


def update_costs(
    index_dir: Path, seeds_dir: Path, encoder: Encoder, counts: Sequence[int] = COUNTS
) -> list[UpdateCost]:
    """Add 1, then 10 new articles (by default) to the index, one build each."""
    return [add_articles(index_dir, new_articles(seeds_dir, n, seed=1000 + n), encoder) for n in counts]


def merge_cost(index_dir: Path, seeds_dir: Path, encoder: Encoder) -> MergeCost:
    """Add one article per build until the index has more than ``MAX_SEGMENTS`` segments, then merge."""
    updates, segments = 0, len(read_manifest(live_version_dir(index_dir)).segments)
    while segments <= MAX_SEGMENTS:
        if updates > MAX_SEGMENTS:
            raise EvalError("the index did not grow by one segment per update")
        segments = add_articles(index_dir, new_articles(seeds_dir, 1, seed=2000 + updates), encoder).segments
        updates += 1
    report = merge_once(index_dir, wait=True)
    if report is None:
        raise EvalError(f"no merge was due at {segments} segments")
    return MergeCost(
        passages=report.passages,
        updates=updates,
        segments_before=report.segments_before,
        segments_after=report.segments_after,
        seconds=report.seconds,
        written_bytes=report.bytes_written,
        index_bytes=sum(_version_files(index_dir).values()),
    )


def render_merges(costs: Sequence[MergeCost]) -> str:
    rows = [
        [
            f"{c.passages}",
            f"{c.updates}",
            f"{c.segments_before} -> {c.segments_after}",
            f"{c.seconds:.1f}",
            f"{c.written_bytes / 2**20:.2f}",
            f"{c.index_bytes / 2**20:.1f}",
            f"{100 * c.share:.2f} %",
        ]
        for c in costs
    ]
    header = ["passages", "after updates", "segments", "s", "written MiB", "index MiB", "share"]
    return table(rows, header=header)


def render_updates(costs: Sequence[UpdateCost]) -> str:
    rows = [
        [
            f"{c.passages_before}",
            f"{c.articles}",
            f"{c.passages_added}",
            f"{c.seconds:.1f}",
            f"{c.written_bytes / 2**20:.2f}",
            f"{c.write_call_bytes / 2**20:.2f}",
            f"{c.index_bytes / 2**20:.1f}",
            f"{100 * c.share:.2f} %",
            f"{c.segments}",
        ]
        for c in costs
    ]
    header = ["passages", "added", "new passages", "s", "written MiB", "write() MiB", "index MiB", "share", "segments"]
    return table(rows, header=header)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", type=Path, help="folder of articles to index first")
    source.add_argument("--synthetic", type=int, help="passages of a random-vector index to write first")
    parser.add_argument("--seeds", type=Path, default=Path("seeds"), help="sentences for the added articles")
    parser.add_argument("--work", type=Path, required=True, help="scratch directory, emptied first")
    parser.add_argument("--backend", default="onnx", help="encoder backend for building and adding")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    from indexer.encoders.registry import encoder_cache_dir, load_encoder

    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    index = args.work / "index"
    encoder = load_encoder(DEFAULT_MODEL, backend=args.backend, cache_dir=encoder_cache_dir(index))
    started = time.perf_counter()
    if args.corpus is not None:
        build_index(args.corpus, index, encoder, BuildOptions())
    else:
        from eval.bench.synthetic import build

        build(index, args.seeds, args.synthetic, args.backend)
    print(f"index built in {time.perf_counter() - started:.0f} s; load {os.getloadavg()}", file=sys.stderr, flush=True)
    costs = update_costs(index, args.seeds, encoder)
    print(render_updates(costs))
    merge = merge_cost(index, args.seeds, encoder)
    print("then one article at a time until a merge was due, and the merge:")
    print(render_merges([merge]))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        updates = [{**asdict(c), "share": c.share} for c in costs]
        args.json.write_text(
            json.dumps({"updates": updates, "merge": {**asdict(merge), "share": merge.share}}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
