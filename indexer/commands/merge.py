"""``polysearch merge``: rewrite an index's small or mostly deleted segments as one, now."""

from __future__ import annotations

import argparse
from pathlib import Path

from indexer.commands.options import DEFAULT_INDEX
from indexer.store.layout import live_version_dir
from indexer.store.merging import MergeReport, merge_once


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "merge", help="merge the index's segments now (builds and syncs do it after each update)"
    )
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index directory")
    parser.add_argument(
        "--all", action="store_true", help="merge every segment into one and drop deleted rows, due or not"
    )
    parser.set_defaults(handler=run_merge)


def run_merge(args: argparse.Namespace) -> int:
    live_version_dir(args.index)  # no index, or a broken CURRENT: one line saying so
    report = merge_once(args.index, wait=True, everything=args.all)
    print(describe(report, args.index))
    return 0


def describe(report: MergeReport | None, index_dir: Path) -> str:
    if report is not None:
        return f"index {index_dir}: {report.line()}"
    return f"index {index_dir}: no merge due"
