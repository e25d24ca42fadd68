"""``polysearch eval``: run the question set in-process or against a service, and report."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from eval.backend import Backend
from eval.floors import check_floors, floors_from, load_floors, write_floors
from eval.questions import DEFAULT_QUESTIONS, load_questions
from eval.report import payload, render, write_json
from eval.runner import Evaluation, compare_modes, evaluate
from eval.scoring import Metrics, hit_curve
from eval.significance import Comparison
from eval.trec import write_qrels, write_run
from indexer.cli import DEFAULT_INDEX, positive_int
from indexer.models import SEARCH_MODES, SearchMode


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("eval", help="measure retrieval and answers on a question set")
    add = parser.add_argument
    add("--questions", type=Path, default=DEFAULT_QUESTIONS, help="JSONL question set (default: eval/questions.jsonl)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--index", type=Path, default=None, help=f"evaluate in-process (default {DEFAULT_INDEX})")
    target.add_argument("--url", default=None, help="evaluate a running service over HTTP, e.g. http://127.0.0.1:8000")
    add("--mode", choices=SEARCH_MODES, default="hybrid", help="search mode (with --compare: the one --json reports)")
    add("-k", type=positive_int, default=10, help="passages retrieved per question")
    add("--compare", action="store_true", help="dense, keyword and hybrid side by side, with significance tests")
    add("--json", type=Path, default=None, metavar="OUT", help="write metrics and per-question results")
    add("--trec-run", type=Path, default=None, metavar="OUT", help="write a TREC run (a file per mode with --compare)")
    add("--qrels", type=Path, default=None, metavar="OUT", help="write TREC qrels from the relevance rule")
    add("--plot", type=Path, default=None, metavar="OUT.png", help="plot hit@k for k=1..10, one line per mode")
    add("--floors", type=Path, default=None, metavar="FILE", help="exit 1 when a metric breaks a bound in FILE")
    add("--write-floors", type=Path, default=None, metavar="FILE", help="write bounds just under these figures")
    parser.set_defaults(handler=run_eval)


def open_backend(args: argparse.Namespace) -> Backend:
    if args.url is not None:
        from eval.remote import HttpBackend

        return HttpBackend(args.url)
    from eval.local import LocalBackend

    return LocalBackend.open(args.index or DEFAULT_INDEX)


def run_path(path: Path, mode: str, *, several: bool) -> Path:
    """``run.trec`` for one mode; ``run.hybrid.trec`` and siblings when several modes are written."""
    return path.with_name(f"{path.stem}.{mode}{path.suffix}") if several else path


def write_outputs(
    args: argparse.Namespace, evaluation: Evaluation, primary: SearchMode, comparisons: Sequence[Comparison]
) -> None:
    several = len(evaluation.runs) > 1
    if args.json is not None:
        write_json(args.json, payload(evaluation, primary, comparisons))
        print(f"wrote {args.json}")
    if args.trec_run is not None:
        for mode, run in evaluation.runs.items():
            path = run_path(args.trec_run, mode, several=several)
            write_run(path, {j.question.id: j.hits for j in run.judged}, tag=f"polysearch-{mode}")
            print(f"wrote {path}")
    if args.qrels is not None:
        write_qrels(args.qrels, evaluation.qrels)
        source = "retrieved hits only (HTTP mode)" if evaluation.qrels_pooled else "all index passages"
        print(f"wrote {args.qrels} (judged over {source})")
    if args.plot is not None:
        from eval.plot import plot_hit_curves

        curves: dict[str, list[float]] = {mode: hit_curve(run.judged) for mode, run in evaluation.runs.items()}
        answerable = sum(q.answerable for q in evaluation.questions)
        plot_hit_curves(args.plot, curves, title=f"hit@k over {answerable} answerable questions")
        print(f"wrote {args.plot}")


def run_eval(args: argparse.Namespace) -> int:
    questions = load_questions(args.questions)
    floors = load_floors(args.floors) if args.floors is not None else None
    primary: SearchMode = args.mode
    modes: tuple[SearchMode, ...] = SEARCH_MODES if args.compare else (primary,)
    backend = open_backend(args)
    try:
        evaluation = evaluate(backend, questions, modes=modes, k=args.k)
    finally:
        backend.close()
    comparisons = compare_modes(evaluation) if args.compare else []
    print(render(evaluation, comparisons))
    write_outputs(args, evaluation, primary, comparisons)
    if args.write_floors is not None:
        command = "polysearch eval " + ("--compare" if args.compare else f"--mode {primary}") + f" -k {args.k}"
        metrics: dict[str, Metrics] = {mode: run.metrics for mode, run in evaluation.runs.items()}
        write_floors(args.write_floors, floors_from(metrics, measured_with=f"{command} on {evaluation.backend}"))
        print(f"wrote {args.write_floors}")
    if floors is not None:
        failures = check_floors({mode: run.metrics for mode, run in evaluation.runs.items()}, floors)
        for failure in failures:
            print(f"FLOOR: {failure}")
        if failures:
            return 1
        print(f"all floors of {args.floors} met")
    return 0
