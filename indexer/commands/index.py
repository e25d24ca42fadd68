"""``polysearch index``: build or update the index from a folder of articles, or verify one."""

from __future__ import annotations

import argparse
from pathlib import Path

from indexer.build.builder import (
    SENTENCE_VECTORS_WHEN,
    BuildOptions,
    BuildReport,
    build_index,
)
from indexer.commands.gate import HELD_EXIT, Verdict, gate_from, gated, settle, verdict_line
from indexer.commands.options import (
    DEFAULT_INDEX,
    DEFAULT_SEEDS,
    add_backend_option,
    add_chunk_options,
    add_gate_options,
    add_merge_option,
    build_backend,
    positive_int,
    prepare_query_encoder,
    say,
)
from indexer.encoders.base import Encoder
from indexer.encoders.registry import encoder_cache_dir, load_encoder
from indexer.errors import BuildError
from indexer.sources.state import STATE_FILE, holds_sync_state
from indexer.store.merging import merge_once


def register_index(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("index", help="build or update the index from article files")
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="directory of .txt/.md articles")
    parser.add_argument("--out", type=Path, default=DEFAULT_INDEX, help="index directory")
    parser.add_argument(
        "--model", default=None, help="sentence-transformers model name or path (default: packaged all-MiniLM-L6-v2)"
    )
    add_chunk_options(parser)
    parser.add_argument(
        "--dense-index",
        choices=["auto", "flat", "hnsw"],
        default="auto",
        help="FAISS index type (auto: by corpus size)",
    )
    parser.add_argument(
        "--model-languages",
        default=None,
        help="languages the model embeds, e.g. 'en,ru,zh' (default: en/ru/zh for known multilingual models, "
        "else en); text in others is ranked by keywords alone",
    )
    parser.add_argument(
        "--sentence-vectors",
        choices=SENTENCE_VECTORS_WHEN,
        default="build",
        help="build: encode every sentence now (default); lazy: passages only, a passage's sentences when it is "
        "first a search candidate (cached beside the index; the service fills the rest in the background)",
    )
    add_backend_option(parser)
    add_merge_option(parser)
    add_gate_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--verify", action="store_true", help="only check the index at --out (files, counts, vectors) and report"
    )
    parser.add_argument(
        "--promote", metavar="VERSION", default=None, help="put the version the quality gate held at --out live"
    )
    parser.add_argument(
        "--engine", choices=["local", "ray"], default="local", help="where embedding runs (ray: a Ray cluster)"
    )
    parser.add_argument("--ray-address", default=None, help="head of the Ray cluster (default: start one here)")
    parser.add_argument("--ray-workers", type=positive_int, default=2, help="model actors on the cluster")
    parser.set_defaults(handler=run_index)


def run_index(args: argparse.Namespace) -> int:
    if args.verify:
        return run_verify(args.out)
    if args.promote is not None:
        return run_promote(args.out, args.promote)
    gate = gate_from(args.gate, args.gate_margin)
    options = gated(_build_options(args), gate, args.out)
    options.validate()
    if holds_sync_state(args.out):
        # Rebuilding from seeds would drop every synced article: `polysearch sync` owns this index.
        raise BuildError(f"{args.out} is kept by `polysearch sync` ({STATE_FILE}); sync it or use another --out")
    backend = build_backend(args.backend)
    report = build_index(args.seeds, args.out, _encoder(args, backend), options)
    if report.written:
        prepare_query_encoder(args.model, backend, args.out, quiet=args.quiet)
    verdict = settle(args.out, report, gate)
    _print_report(report, args.out, verdict)
    if verdict is not None and not verdict.passed:
        return HELD_EXIT
    if report.written and not args.no_merge:
        # The update is live already; merging segments is a second, separate version.
        merged = merge_once(args.out, wait=True)
        if merged is not None:
            print(f"  {merged.line()}")
    return 0


def _build_options(args: argparse.Namespace) -> BuildOptions:
    from indexer.text.coverage import parse_languages

    return BuildOptions(
        chunk_tokens=args.chunk_tokens,
        overlap_tokens=args.overlap_tokens,
        batch_size=args.batch_size,
        show_progress=not args.quiet,
        dense_kind=None if args.dense_index == "auto" else args.dense_index,
        model_languages=None if args.model_languages is None else parse_languages(args.model_languages),
        sentence_vectors=args.sentence_vectors,
    )


def _encoder(args: argparse.Namespace, backend: str) -> Encoder:
    """The model on ``backend`` here, or its actors on a Ray cluster with ``--engine ray``."""
    notify = None if args.quiet else say
    if args.engine == "ray":
        # Imported here: ray is an optional extra and the default build never loads it.
        from indexer.engines.ray_embed import cluster_encoder

        return cluster_encoder(
            args.model,
            backend=backend,
            cache_dir=encoder_cache_dir(args.out),
            workers=args.ray_workers,
            address=args.ray_address,
            notify=notify,
        )
    return load_encoder(args.model, backend=backend, cache_dir=encoder_cache_dir(args.out), notify=notify)


def _print_report(report: BuildReport, out: Path, verdict: Verdict | None) -> None:
    state = "written" if report.written else "already up to date"
    if verdict is not None and not verdict.passed:
        state = "held by the quality gate"
    print(
        f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
        f"unchanged {len(report.unchanged)}; {report.passages} passages, {report.encoded} encoded; "
        f"index {out} version {report.version} ({state})"
    )
    for label, ids in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        for article_id in ids:
            print(f"  {label}: {article_id}")
    if report.stories:
        print(f"  stories with several versions: {report.stories}")
    if verdict is None:
        return
    if verdict.passed:
        print(verdict_line(verdict, out))
    else:
        # The failure line goes where errors go, so a script that keeps only stderr still sees it.
        say(verdict_line(verdict, out))


def run_verify(index_dir: Path) -> int:
    """Print the state of an index for operators; exit 1 when it is damaged."""
    from indexer.store.reader import verify_index

    health = verify_index(index_dir)
    if health.ok:
        print(
            f"index {index_dir}: ok, version {health.version}, {health.articles} articles, "
            f"{health.passages} passages, {health.files} files match their checksums"
        )
    else:
        print(f"index {index_dir}: damaged: {health.problem}; `polysearch index` rebuilds it")
    if health.stories:
        print(f"  stories with several versions: {health.stories}")
    if health.held is not None:
        print(f"  held: {health.held.name} ({health.held.reason}); `polysearch index --promote {health.held.name} "
              f"--out {index_dir}` puts it live")  # fmt: skip
    if health.leftovers:
        print(f"  leftovers the next build removes: {', '.join(health.leftovers)}")
    return 0 if health.ok else 1


def run_promote(index_dir: Path, version: str) -> int:
    """Put the version the quality gate held live."""
    from indexer.store.held import promote

    name = promote(index_dir, version)
    print(f"index {index_dir}: {name} is live")
    return 0
