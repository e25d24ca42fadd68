"""The ``polysearch`` command line: subcommands come from the ``polysearch.commands`` entry points.

The core registers ``index`` and ``search``; ``service`` and ``eval`` register their own, so
this module never imports them and the package arrows stay one-way.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path

import msgspec

from indexer.builder import DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS, BuildOptions, build_index
from indexer.encoder import Encoder
from indexer.encoders import (
    AUTO,
    BACKENDS,
    DEFAULT_BACKEND,
    encoder_cache_dir,
    load_encoder,
    resolve_backend,
    serving_backend,
)
from indexer.errors import BuildError, PolysearchError
from indexer.logs import configure_logging
from indexer.merging import merge_once
from indexer.models import SEARCH_MODES, Hit
from indexer.sync_state import STATE_FILE, holds_sync_state

Handler = Callable[[argparse.Namespace], int]
DEFAULT_INDEX = Path("index")
DEFAULT_SEEDS = Path("seeds")


def _int_at_least(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _int_at_least(text, 1)


def non_negative_int(text: str) -> int:
    return _int_at_least(text, 0)


def register_index(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("index", help="build or update the index from article files")
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="directory of .txt/.md articles")
    parser.add_argument("--out", type=Path, default=DEFAULT_INDEX, help="index directory")
    parser.add_argument(
        "--model", default=None, help="sentence-transformers model name or path (default: packaged all-MiniLM-L6-v2)"
    )
    parser.add_argument("--chunk-tokens", type=positive_int, default=DEFAULT_CHUNK_TOKENS)
    parser.add_argument("--overlap-tokens", type=non_negative_int, default=DEFAULT_OVERLAP_TOKENS)
    parser.add_argument("--batch-size", type=positive_int, default=64)
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
    add_backend_option(parser)
    add_merge_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--verify", action="store_true", help="only check the index at --out (files, counts, vectors) and report"
    )
    parser.add_argument(
        "--engine", choices=["local", "ray"], default="local", help="where embedding runs (ray: a Ray cluster)"
    )
    parser.add_argument("--ray-address", default=None, help="head of the Ray cluster (default: start one here)")
    parser.add_argument("--ray-workers", type=positive_int, default=2, help="model actors on the cluster")
    parser.set_defaults(handler=run_index)


def run_index(args: argparse.Namespace) -> int:
    from indexer.text.coverage import parse_languages

    if args.verify:
        return run_verify(args.out)
    languages = None if args.model_languages is None else parse_languages(args.model_languages)
    options = BuildOptions(
        chunk_tokens=args.chunk_tokens,
        overlap_tokens=args.overlap_tokens,
        batch_size=args.batch_size,
        show_progress=not args.quiet,
        dense_kind=None if args.dense_index == "auto" else args.dense_index,
        model_languages=languages,
    )
    options.validate()
    if holds_sync_state(args.out):
        # Rebuilding from seeds would drop every synced article: `polysearch sync` owns this index.
        raise BuildError(f"{args.out} is kept by `polysearch sync` ({STATE_FILE}); sync it or use another --out")
    backend = build_backend(args.backend, engine=args.engine)
    encoder: Encoder
    if args.engine == "ray":
        # Imported here: ray is an optional extra and the default build never loads it.
        from indexer.engines.ray_embed import cluster_encoder

        encoder = cluster_encoder(
            args.model,
            backend=backend,
            cache_dir=encoder_cache_dir(args.out),
            workers=args.ray_workers,
            address=args.ray_address,
            notify=None if args.quiet else _say,
        )
    else:
        encoder = load_encoder(
            args.model,
            backend=backend,
            cache_dir=encoder_cache_dir(args.out),
            notify=None if args.quiet else _say,
        )
    report = build_index(args.seeds, args.out, encoder, options)
    if report.written:
        prepare_query_encoder(args.model, backend, args.out, quiet=args.quiet)
    state = "written" if report.written else "already up to date"
    print(
        f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
        f"unchanged {len(report.unchanged)}; {report.passages} passages, {report.encoded} encoded; "
        f"index {args.out} version {report.version} ({state})"
    )
    for label, ids in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        for article_id in ids:
            print(f"  {label}: {article_id}")
    if report.written and not args.no_merge:
        # The update is live already; merging segments is a second, separate version.
        merged = merge_once(args.out, wait=True)
        if merged is not None:
            print(f"  {merged.line()}")
    return 0


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """``--backend`` of ``polysearch index`` and ``polysearch sync``."""
    parser.add_argument(
        "--backend",
        choices=(AUTO, *BACKENDS),
        default=AUTO,
        help="encoder backend, recorded in the manifest (default auto: torch-bf16 on a CPU with bfloat16 "
        "instructions, else onnx; onnx with --engine ray); an index built in bfloat16 is served by onnx",
    )


def add_merge_option(parser: argparse.ArgumentParser) -> None:
    """``--no-merge`` of ``polysearch index`` and ``polysearch sync``."""
    parser.add_argument(
        "--no-merge",
        action="store_true",
        help="after an update, leave the segments as they are (`polysearch merge` merges them later)",
    )


def build_backend(choice: str, *, engine: str) -> str:
    """The backend a build encodes with: ``choice``, where ``auto`` is decided by this CPU; a
    cluster's workers may have other CPUs, so there ``auto`` is the portable default (onnx)."""
    return DEFAULT_BACKEND if engine == "ray" and choice == AUTO else resolve_backend(choice)


def prepare_query_encoder(model: str | None, backend: str, index_dir: Path, *, quiet: bool) -> None:
    """Export the ONNX file that will encode queries if the build ran on another backend (torch-bf16),
    so the service's first start does not spend its seconds on it."""
    serving = serving_backend(backend)
    if serving == backend:
        return
    query_encoder = load_encoder(
        model, backend=serving, cache_dir=encoder_cache_dir(index_dir), notify=None if quiet else _say
    )
    export = getattr(query_encoder, "export", None)
    if callable(export):
        export()


def run_verify(index_dir: Path) -> int:
    """Print the state of an index for operators; exit 1 when it is damaged."""
    from indexer.store import verify_index

    health = verify_index(index_dir)
    if health.ok:
        print(
            f"index {index_dir}: ok, version {health.version}, {health.articles} articles, "
            f"{health.passages} passages, {health.files} files match their checksums"
        )
    else:
        print(f"index {index_dir}: damaged: {health.problem}; `polysearch index` rebuilds it")
    if health.leftovers:
        print(f"  leftovers the next build removes: {', '.join(health.leftovers)}")
    return 0 if health.ok else 1


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def register_search(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("search", help="print the passages that best match a query")
    parser.add_argument("query")
    parser.add_argument("-k", type=positive_int, default=5, help="number of passages")
    parser.add_argument("--mode", choices=SEARCH_MODES, default="hybrid")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--json", action="store_true", help="print hits as a JSON list")
    parser.set_defaults(handler=run_search)


def hit_record(hit: Hit) -> dict[str, object]:
    """A hit flattened to the citation fields every consumer (CLI, HTTP, eval) prints."""
    passage = hit.passage
    return {
        "rank": hit.rank,
        "score": hit.score,
        "scores": msgspec.to_builtins(hit.scores),
        "passage_id": passage.id,
        "article_id": passage.article_id,
        "title": passage.title,
        "date": passage.date,
        "start": passage.start,
        "end": passage.end,
        "text": passage.text,
        "url": passage.url,
        "lang": passage.lang,
    }


def run_search(args: argparse.Namespace) -> int:
    from indexer.retriever import Retriever

    retriever = Retriever.open(args.index)
    hits = retriever.search(args.query, k=args.k, mode=args.mode)
    reading = retriever.read_query(args.query, args.mode)
    if args.json:
        # Each hit says how its query was read, so the output stays a plain list of hits.
        extra = {"query_lang": reading.lang, "dense_used": reading.dense}
        print(json.dumps([hit_record(hit) | extra for hit in hits], ensure_ascii=False, indent=2))
        return 0
    if args.mode != "keyword" and not reading.dense:
        covered = ", ".join(sorted(retriever.languages))
        print(f"query read as {reading.lang}; ranked by keywords alone (the model covers {covered})\n")
    if not hits:
        print("no passages match")
    for hit in hits:
        passage = hit.passage
        print(f"{hit.rank}. {passage.title} ({passage.date or 'undated'})  [{passage.id}]  score {hit.score:.4f}")
        print(f"   {passage.text}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polysearch", description="Semantic search over news articles.")
    parser.add_argument("--log-level", default="WARNING", help="log level for JSON logs on stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    registered = {ep.name: ep for ep in entry_points(group="polysearch.commands")}
    for name in sorted(registered):
        registered[name].load()(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    handler: Handler = args.handler
    try:
        return handler(args)
    except PolysearchError as exc:
        print(f"polysearch {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # Disk full, permissions, a vanished directory: say which file, not a traceback.
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"polysearch {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"polysearch {args.command}: interrupted; the previous index is untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
