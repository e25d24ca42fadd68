"""``polysearch report``: what staff asked, which questions the archive failed, the share answered per day."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from pathlib import Path

import msgspec

from indexer.commands.options import DEFAULT_INDEX
from indexer.encoders.base import Encoder
from indexer.encoders.registry import encoder_cache_dir, load_encoder, serving_backend
from indexer.errors import InsightsError, PolysearchError
from indexer.insights.report import (
    DEFAULT_THRESHOLD,
    FOUND_NO_ANSWER,
    Report,
    draft_questions,
    read_report,
    since_time,
)
from indexer.insights.store import LOG_FILE
from indexer.store.layout import live_version_dir, read_manifest


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("report", help="what staff asked and which questions the archive could not answer")
    parser.add_argument("--since", default="7d", help="how far back: 7d (default), 12h, 2w, or a date YYYY-MM-DD")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the report as JSON")
    output.add_argument("--csv", action="store_true", help="print CSV rows: section, item, count, detail")
    parser.add_argument(
        "--index", type=Path, default=DEFAULT_INDEX,
        help="index directory: its query log, and its model groups questions (default index)",
    )  # fmt: skip
    parser.add_argument("--log", type=Path, default=None, help=f"the query log file (default INDEX/{LOG_FILE})")
    parser.add_argument(
        "--threshold", type=float, default=DEFAULT_THRESHOLD,
        help=f"cosine at which two unanswered questions are one group (default {DEFAULT_THRESHOLD})",
    )  # fmt: skip
    parser.add_argument("--draft-questions", type=Path, default=None, metavar="OUT.jsonl",
                        help="also write one question per unanswered group, answers left for an editor")  # fmt: skip
    parser.set_defaults(handler=run_report)


def index_encoder(index_dir: Path) -> Encoder | None:
    """The model the index was built with, on its serving backend; None when there is no index."""
    try:
        manifest = read_manifest(live_version_dir(index_dir))
    except (PolysearchError, OSError):
        return None
    model = manifest.model
    return load_encoder(model.name, backend=serving_backend(model.backend), cache_dir=encoder_cache_dir(index_dir))


def run_report(args: argparse.Namespace) -> int:
    since = since_time(args.since)
    if not 0.0 < args.threshold <= 1.0:
        raise InsightsError(f"--threshold must be in (0, 1], got {args.threshold}")
    path = args.log or args.index / LOG_FILE
    if not path.is_file():
        raise InsightsError(f"no query log at {path} (the service writes it; see POLYSEARCH_QUERY_LOG)")
    encoder = index_encoder(args.index)
    if encoder is None:
        print(f"polysearch report: no index at {args.index}: unanswered questions are grouped by text only",
              file=sys.stderr)  # fmt: skip
    report = read_report(path, encoder=encoder, since=since, threshold=args.threshold)
    if args.draft_questions is not None:
        write_drafts(args.draft_questions, report)
    if args.json:
        print(msgspec.json.encode(report).decode())
    elif args.csv:
        sys.stdout.write(csv_text(report))
    else:
        sys.stdout.write(text_report(report))
    return 0


def write_drafts(path: Path, report: Report) -> None:
    lines = [json.dumps(record, ensure_ascii=False) for record in draft_questions(report)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _status(status: str) -> str:
    return "found, but no answer" if status == FOUND_NO_ANSWER else "nothing found"


def text_report(report: Report) -> str:
    since = dt.datetime.fromtimestamp(report.since, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    share = f"{report.answered / report.questions:.0%}" if report.questions else "-"
    out = [
        f"Since {since}: {report.queries} queries ({report.searches} searches, {report.questions} questions, "
        f"{report.answered} answered, {share}).",
        "",
        "Most asked:",
        *(f"  {c.count:6d}  {c.query}" for c in report.top_queries),
        "",
        "Questions the archive could not answer (grouped by meaning):",
    ]
    for group in report.unanswered:
        reasons = "; ".join(f"{r.query} ({r.count})" for r in group.reasons[:3])
        out.append(f"  {group.count:6d}  {group.example}  [{_status(group.status)}]")
        if len(group.examples) > 1:
            out.append(f"          also: {' | '.join(group.examples[1:])}")
        out.append(f"          why: {reasons}")
    if report.unanswered_other:
        out.append(f"  {report.unanswered_other:6d}  (other, less asked)")
    out += ["", "Queries with no results:", *(f"  {c.count:6d}  {c.query}" for c in report.no_results), ""]
    out.append("Answered per day:")
    for day in report.days:
        share_day = "-" if day.share is None else f"{day.share:.0%}"
        out.append(f"  {day.day}  {day.answered}/{day.questions} answered ({share_day}), {day.searches} searches")
    return "\n".join(out) + "\n"


def csv_text(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "item", "count", "detail"])
    for count in report.top_queries:
        writer.writerow(["top", count.query, count.count, ""])
    for group in report.unanswered:
        reasons = "; ".join(r.query for r in group.reasons)
        writer.writerow(["unanswered", group.example, group.count, f"{_status(group.status)}: {reasons}"])
    for count in report.no_results:
        writer.writerow(["no_results", count.query, count.count, ""])
    for day in report.days:
        writer.writerow(["day", day.day, day.questions, "" if day.share is None else day.share])
    return buffer.getvalue()
