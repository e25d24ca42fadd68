"""``polysearch sync``: take in folders, exports, feeds and sitemaps, once or every DURATION."""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from indexer.build.builder import BuildOptions, BuildReport
from indexer.build.sync import DEFAULT_MAX_DELETE_SHARE, EncoderLoader, SyncPolicy, SyncReport, sync_once
from indexer.commands.gate import HELD_EXIT, Verdict, gate_from, gated, settle, verdict_line
from indexer.commands.options import (
    DEFAULT_INDEX,
    add_backend_option,
    add_chunk_options,
    add_gate_options,
    add_merge_option,
    build_backend,
    positive_int,
    prepare_query_encoder,
)
from indexer.encoders.base import Encoder
from indexer.errors import SourceError
from indexer.sources.fetching import USER_AGENT, PoliteFetcher
from indexer.sources.resolve import parse_source
from indexer.store.merging import BackgroundMerger, merge_once

log = logging.getLogger(__name__)

_DURATION = re.compile(r"^(\d+)\s*([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``2h``, ``1d`` as seconds (at least one minute, to stay polite)."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(f"expected a duration such as 15m, 2h or 1d, got {text!r}")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds < 60:
        raise argparse.ArgumentTypeError(f"must be at least 1m, got {text!r}")
    return float(seconds)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value >= 1.0 or value > 3600:
        raise argparse.ArgumentTypeError(f"must be between 1 and 3600 seconds, got {text!r}")
    return value


def share(text: str) -> float:
    """A share of the index: ``0.2`` or ``20%``."""
    percent = text.strip().endswith("%")
    try:
        value = float(text.strip().removesuffix("%")) / (100 if percent else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share such as 0.2 or 20%, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (0% and 100%), got {text!r}")
    return value


def add_safety_options(parser: argparse.ArgumentParser) -> None:
    """What a pass may remove and fetch: dry run, pruning, the mass-delete guard, extra hosts."""
    parser.add_argument(
        "--dry-run", action="store_true", help="print what a pass would add, update and remove; write nothing"
    )
    parser.add_argument(
        "--prune-foreign",
        action="store_true",
        help="remove articles that none of the given sources brought (those of `polysearch index`, "
        "or of sources no longer given)",
    )
    parser.add_argument(
        "--max-delete-share",
        type=share,
        default=DEFAULT_MAX_DELETE_SHARE,
        metavar="SHARE",
        help="stop, writing nothing, when a pass would remove more than this share of the index (default 0.2)",
    )
    parser.add_argument(
        "--allow-mass-delete", action="store_true", help="let a pass remove more than --max-delete-share"
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="also fetch pages on HOST that a sitemap or feed lists (repeatable; www.HOST and HOST are one site)",
    )


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("sync", help="take in folders, exports, feeds and sitemaps; keep the index current")
    parser.add_argument(
        "--source",
        action="append",
        required=True,
        metavar="SOURCE",
        help="a folder, a .jsonl export, an RSS/Atom feed URL, a sitemap URL or a site's root URL (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_INDEX, help="index directory (its sync state lives there)")
    parser.add_argument("--every", type=duration, default=None, metavar="DURATION", help="sync again every 15m, 2h ...")
    parser.add_argument("--json", action="store_true", help="print each pass's report as one JSON line")
    parser.add_argument("--delay", type=seconds, default=1.0, help="seconds between requests to one host (min 1)")
    parser.add_argument("--model", default=None, help="sentence-transformers model name or path")
    add_chunk_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_backend_option(parser)
    add_merge_option(parser)
    add_gate_options(parser)
    parser.add_argument(
        "--engine", choices=["local", "ray"], default="local", help="where embedding runs (ray: a Ray cluster)"
    )
    parser.add_argument("--ray-address", default=None, help="head of the Ray cluster (default: start one here)")
    parser.add_argument("--ray-workers", type=positive_int, default=2, help="model actors on the cluster")
    add_safety_options(parser)
    parser.set_defaults(handler=run_sync)


def report_record(report: SyncReport, out: Path, verdict: Verdict | None = None) -> dict[str, object]:
    build = report.build
    record: dict[str, object] = {
        "sources": report.sources,
        "pages": {
            "fetched": report.fetched,
            "not_modified": report.not_modified,
            "skipped_unchanged": report.skipped_unchanged,
            "failed": report.failed_pages,
        },
        "added": build.added if build else [],
        "updated": build.updated if build else [],
        "removed": build.removed if build else [],
        "unchanged": len(build.unchanged) if build else 0,
        "passages": build.passages if build else None,
        "encoded": build.encoded if build else 0,
        "index": str(out),
        "version": build.version if build else None,
        "written": bool(build and build.written),
        "stopped": report.stopped,
        "dry_run": report.dry_run,
        "would_stop": report.would_stop,
        "adopted": report.adopted,
        "conflicts": report.conflicts,
        "foreign": len(report.foreign),
    }
    if verdict is not None:
        record["gate"] = {
            "live": verdict.passed,
            "fell": verdict.fell,
            "figures": verdict.new.named(),
            "live_figures": verdict.live.named(),
        }
    return record


def print_report(report: SyncReport, out: Path, *, as_json: bool, verdict: Verdict | None = None) -> None:
    if verdict is not None and not verdict.passed:
        # The failure line goes where errors go, in text and JSON mode alike.
        print(verdict_line(verdict, out), file=sys.stderr, flush=True)
    if as_json:
        print(json.dumps(report_record(report, out, verdict), ensure_ascii=False), flush=True)
        return
    for name, outcome in report.sources.items():
        print(f"source {name}: {outcome}")
    print(
        f"pages: {report.fetched} fetched, {report.not_modified} not modified, "
        f"{report.skipped_unchanged} skipped (sitemap lastmod unchanged), {report.failed_pages} failed"
    )
    if report.adopted:
        took = "would take" if report.dry_run else "took"
        print(f"{took} over {report.adopted} articles the index already held (never removed by a source)")
    for article_id in report.conflicts:
        print(f"  kept: {article_id} (another source brought it first; its text stands)")
    if report.foreign:
        print(f"kept {len(report.foreign)} articles no given source brought (--prune-foreign removes them)")
    build = report.build
    if build is None:
        print("stopped before the index was rebuilt; the next sync continues from the saved state")
        return
    if report.dry_run:
        _print_plan(report, build)
        return
    state = "written" if build.written else "already up to date"
    print(
        f"added {len(build.added)}, updated {len(build.updated)}, removed {len(build.removed)}, "
        f"unchanged {len(build.unchanged)}; {build.passages} passages, {build.encoded} encoded; "
        f"index {out} version {build.version} ({state})",
        flush=True,
    )
    for label, ids in (("added", build.added), ("updated", build.updated), ("removed", build.removed)):
        for article_id in ids:
            print(f"  {label}: {article_id}")
    if verdict is not None and verdict.passed:
        print(verdict_line(verdict, out), flush=True)


def _print_plan(report: SyncReport, build: BuildReport) -> None:
    print(
        f"dry run: would add {len(build.added)}, update {len(build.updated)}, remove {len(build.removed)}, "
        f"keep {len(build.unchanged)} unchanged; nothing was written",
        flush=True,
    )
    for label, ids in (("add", build.added), ("update", build.updated), ("remove", build.removed)):
        for article_id in ids:
            print(f"  would {label}: {article_id}")
    if report.would_stop:
        print(f"a real pass would stop: {report.would_stop}", flush=True)


def run_sync(args: argparse.Namespace) -> int:
    sources = [parse_source(spec) for spec in args.source]
    if len({s.name for s in sources}) != len(sources):
        raise SourceError("the same source is given twice")
    if args.dry_run and args.every is not None:
        raise SourceError("--dry-run runs one pass; it cannot be combined with --every")
    policy = SyncPolicy(
        dry_run=args.dry_run,
        prune_foreign=args.prune_foreign,
        max_delete_share=None if args.allow_mass_delete else args.max_delete_share,
    )
    options = BuildOptions(
        chunk_tokens=args.chunk_tokens,
        overlap_tokens=args.overlap_tokens,
        batch_size=args.batch_size,
        show_progress=not args.quiet,
    )
    options.validate()
    gate = gate_from(args.gate, args.gate_margin)
    from indexer.encoders.base import resolve_model

    model_name, _ = resolve_model(args.model)
    backend = build_backend(args.backend)
    encoder = EncoderLoader(model_name, _encoder_factory(args, backend))
    stop = threading.Event()
    _stop_on_signals(stop)
    hosts = {s.host for s in sources if s.host} | {h.strip().lower() for h in args.allow_host}
    merger = BackgroundMerger(args.out)
    try:
        while True:
            started = time.monotonic()
            fetcher = PoliteFetcher.for_hosts(hosts, min_delay=args.delay, user_agent=USER_AGENT)
            try:
                # Decided each pass: the first pass of a new index has no live version to compare with.
                pass_options = gated(options, gate, args.out)
                report = sync_once(sources, args.out, encoder, pass_options, fetcher=fetcher, stop=stop, policy=policy)
            finally:
                fetcher.close()
            verdict = settle(args.out, report.build, gate) if report.build is not None else None
            held = verdict is not None and not verdict.passed
            print_report(report, args.out, as_json=args.json, verdict=verdict)
            if report.build is not None and report.build.written:
                prepare_query_encoder(args.model, backend, args.out, quiet=args.quiet)
                if not args.no_merge and not held:
                    _merge_after_update(args, merger)
            if args.every is None or stop.is_set():
                # Stopped on request is a clean end; a source that could not be read, or a version
                # the gate kept aside, is not.
                return HELD_EXIT if held else (0 if report.ok else 1)
            stop.wait(max(0.0, args.every - (time.monotonic() - started)))
            if stop.is_set():
                return 0
    finally:
        # A merge under way finishes (or fails) on its own: it never leaves a half-written version.
        merger.join()


def _merge_after_update(args: argparse.Namespace, merger: BackgroundMerger) -> None:
    """A one-off sync merges before it exits; ``--every`` merges in the background between passes
    (at low priority; the next pass's build waits for it if it is still running)."""
    if args.every is not None:
        merger.start()
        return
    merged = merge_once(args.out, wait=True)
    if merged is not None and not args.json:
        print(f"  {merged.line()}", flush=True)


def _encoder_factory(args: argparse.Namespace, backend: str) -> Callable[[], Encoder]:
    """What embeds a pass's new passages: the model on ``backend`` here, or on a Ray cluster."""
    from indexer.encoders.registry import encoder_cache_dir, load_encoder

    if args.engine != "ray":
        return lambda: load_encoder(args.model, backend=backend, cache_dir=encoder_cache_dir(args.out))
    # Imported here: ray is an optional extra; a missing one fails now, not after the fetching.
    from indexer.engines.ray_cluster import import_ray
    from indexer.engines.ray_embed import cluster_encoder

    import_ray()
    return lambda: cluster_encoder(
        args.model,
        backend=backend,
        cache_dir=encoder_cache_dir(args.out),
        workers=args.ray_workers,
        address=args.ray_address,
    )


def _stop_on_signals(stop: threading.Event) -> None:
    """First Ctrl-C or SIGTERM: finish the page or index write under way, then stop. A second one kills."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)
        log.warning("sync_stopping", extra={"signal": signal.Signals(signum).name})

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
