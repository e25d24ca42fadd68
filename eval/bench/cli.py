"""``polysearch bench``: start the real service and measure it against the bare model, in one run."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from indexer.commands.options import DEFAULT_INDEX, DEFAULT_SEEDS, positive_int

DEFAULT_JSON = Path("test-output/bench-results.json")
DEFAULT_WORK = Path("test-output/bench")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "bench",
        help="measure latency, throughput, indexing and cold start against the model's own floor",
        description="Quick mode takes under two minutes; --full repeats more; --growth measures corpus sizes.",
    )
    add = parser.add_argument
    add("--index", type=Path, default=DEFAULT_INDEX, help="index the service serves (default: index)")
    add("--seeds", type=Path, default=DEFAULT_SEEDS, help="real articles the synthetic corpora recombine")
    add("--questions", type=Path, default=None, help="question set (default: eval/questions.jsonl)")
    add("--full", action="store_true", help="more repetitions and longer load runs (several minutes)")
    add("--growth", action="store_true", help="instead: indexes of 1k and 10k passages (--full: 100k) and ANN recall")
    add("--faults", action="store_true", help="instead: the fault campaign (kills, corruption, full disk, overload)")
    add(
        "--sizes",
        type=positive_int,
        nargs="+",
        default=None,
        metavar="N",
        help="with --growth: only these corpus sizes in passages (e.g. --sizes 100000)",
    )
    add(
        "--ann-sizes",
        type=positive_int,
        nargs="+",
        default=None,
        metavar="N",
        help="with --growth: random-vector counts for the ANN study (default 100k; --full adds 1M)",
    )
    add(
        "--torch-threads",
        type=positive_int,
        default=None,
        help="service and floor torch threads (default: the service's)",
    )
    add(
        "--distributed",
        action="store_true",
        help="instead: build throughput locally and on a two-node Ray cluster with 1 and 2 workers (needs [ray])",
    )
    add(
        "--build",
        type=Path,
        default=None,
        metavar="CORPUS",
        help="instead: first build of CORPUS with sentence vectors lazy and at build time, against the model "
        "encoding its passages alone, and cold/warm /ask after each (alternating child processes)",
    )
    add("--build-rounds", type=positive_int, default=2, help="with --build: rounds of the three variants")
    add("--build-questions", type=positive_int, default=12, help="with --build: questions asked cold and warm")
    add("--distributed-passages", type=positive_int, default=300, help="with --distributed: corpus size")
    add("--json", type=Path, default=DEFAULT_JSON, metavar="OUT", help=f"write every figure (default: {DEFAULT_JSON})")
    add("--work-dir", type=Path, default=DEFAULT_WORK, help="scratch space, emptied first (default: test-output/bench)")
    parser.set_defaults(handler=run_bench_command)


def _command_line() -> str:
    return "polysearch " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def run_bench_command(args: argparse.Namespace) -> int:
    from eval.bench.run import BenchOptions, Plan, require_index

    command = _command_line()
    if args.distributed:
        return _run_distributed(args, command)
    if args.build is not None:
        return _run_build(args, command)
    if args.faults:
        from eval.faults.run import CampaignOptions, render_campaign, run_campaign

        rows, seconds = run_campaign(CampaignOptions(seeds=args.seeds), say=_say)
        print(render_campaign(rows, seconds=seconds, command=command))
        return 1 if any(row.failures for row in rows) else 0
    if args.growth:
        from eval.bench.growth import GrowthOptions, render_growth, run_growth

        growth = run_growth(
            GrowthOptions(
                seeds_dir=args.seeds,
                work_dir=args.work_dir,
                full=args.full,
                torch_threads=args.torch_threads,
                questions=args.questions,
                sizes=tuple(args.sizes) if args.sizes else None,
                ann_sizes=tuple(args.ann_sizes) if args.ann_sizes else None,
                say=_say,
            )
        )
        _write(args.json, {"command": command, **growth.to_json()})
        print(render_growth(growth, command=command))
        print(f"\nwrote {args.json}")
        return 0

    from eval.bench.report import render
    from eval.bench.run import run_bench

    require_index(args.index)
    options = BenchOptions(
        index_dir=args.index,
        seeds_dir=args.seeds,
        work_dir=args.work_dir,
        plan=Plan.full() if args.full else Plan.quick(),
        torch_threads=args.torch_threads,
        questions=args.questions,
        say=_say,
    )
    result = run_bench(options)
    _write(args.json, {"command": command, **result.to_json()})
    print(render(result, command=command))
    print(f"\nwrote {args.json}")
    return 0


def _run_distributed(args: argparse.Namespace, command: str) -> int:
    import os

    from eval.bench.distributed import NAMESPACE_FLAG, render_distributed, run_distributed, run_in_namespace

    if os.environ.get(NAMESPACE_FLAG) != "1":
        # The cluster must not reach past loopback: rerun this command in a namespace of its own.
        return run_in_namespace(sys.argv[1:])
    result = run_distributed(
        args.seeds,
        args.work_dir,
        n_passages=args.distributed_passages,
        repetitions=3 if args.full else 1,
        say=_say,
    )
    _write(args.json, {"command": command, "distributed": result.to_json()})
    print(render_distributed(result, command=command))
    print(f"\nwrote {args.json}")
    return 0


def _run_build(args: argparse.Namespace, command: str) -> int:
    from dataclasses import asdict

    from eval.bench.buildcost import render_buildcost, run_buildcost
    from eval.questions import DEFAULT_QUESTIONS, load_questions

    if not args.build.is_dir():
        _say(f"polysearch bench: --build {args.build} is not a directory of articles")
        return 2
    questions = [q.question for q in load_questions(args.questions or DEFAULT_QUESTIONS)][: args.build_questions]
    runs = run_buildcost(args.build, args.work_dir / "build", questions, rounds=args.build_rounds, say=_say)
    _write(args.json, {"command": command, "build": [asdict(run) for run in runs]})
    print(render_buildcost(runs, command=command))
    print(f"\nwrote {args.json}")
    return 0


def _say(line: str) -> None:
    print(f"... {line}", file=sys.stderr, flush=True)


def _write(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
