"""What the query log costs: /search throughput with the log on and off, and the report on a large log.

    python -m eval.bench.querylog overhead --index index [--rounds 3] [--duration 20] [--concurrency 16]
    python -m eval.bench.querylog report --index index [--rows 100000]

``overhead`` runs two services on one index, one logging and one not, and loads them in turn
(off, on, off, on, ...) so that drift on a shared machine falls on both alike; it prints the
median throughput and p50 of each and their ratios. ``report`` writes a synthetic log of
``--rows`` queries and times ``read_report`` with the index's encoder.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from eval.bench.load import LoadLevel, run_level
from eval.bench.queries import distinct_queries, eval_questions
from eval.bench.stats import median
from eval.harness.server import ServiceProcess
from indexer.commands.options import DEFAULT_INDEX, DEFAULT_SEEDS
from indexer.commands.report import index_encoder
from indexer.insights.report import read_report
from indexer.insights.store import LoggedQuery, connect, write_rows


def _service(index: Path, work: Path, name: str, log: str) -> ServiceProcess:
    # The variable is read when the process starts; each service gets its own.
    os.environ["POLYSEARCH_QUERY_LOG"] = log
    service = ServiceProcess(index, work / f"{name}.log")
    service.start()
    return service


def overhead(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="querylog-bench-"))
    queries = distinct_queries(eval_questions(), args.seeds, count=args.queries)
    services = {
        "off": _service(args.index, work, "off", "off"),
        "on": _service(args.index, work, "on", str(work / "q.db")),
    }
    runs: dict[str, list[LoadLevel]] = {"off": [], "on": []}
    try:
        for round_ in range(args.rounds):
            for name in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
                level = run_level(services[name].url, "/search", queries, work / name,
                                  concurrency=args.concurrency, duration_s=args.duration)  # fmt: skip
                runs[name].append(level)
                print(f"round {round_ + 1} {name:>3}: {level.requests_per_s:8.1f} req/s  p50 "
                      f"{level.latency.p50:7.1f} ms  errors {level.errors}", flush=True)  # fmt: skip
    finally:
        for service in services.values():
            service.stop()
    rps = {name: median([r.requests_per_s for r in levels]) for name, levels in runs.items()}
    p50 = {name: median([r.latency.p50 for r in levels]) for name, levels in runs.items()}
    print(f"median throughput: off {rps['off']:.1f} req/s, on {rps['on']:.1f} req/s, "
          f"on/off {rps['on'] / rps['off']:.3f}")  # fmt: skip
    print(f"median p50: off {p50['off']:.1f} ms, on {p50['on']:.1f} ms, "
          f"on/off {p50['on'] / p50['off']:.3f}")  # fmt: skip
    return 0


def synthetic_rows(count: int, *, seed: int = 0) -> list[LoggedQuery]:
    """``count`` logged queries over a week: a few hundred needs, each in several wordings, a third unanswered."""
    rng = random.Random(seed)
    subjects = [f"subject{n}" for n in range(400)]
    forms = ["When is the {} deadline?", "How do I apply for {}?", "Who is in charge of {}?",
             "Where can I read about {}", "{} contacts", "what is {} about"]  # fmt: skip
    start = time.time() - 7 * 86400
    rows = []
    for i in range(count):
        text = rng.choice(forms).format(rng.choice(subjects))
        ask = rng.random() < 0.5
        answered = ask and rng.random() < 0.66
        hits = 0 if rng.random() < 0.05 else 10
        rows.append(LoggedQuery(
            id=f"{i:024x}", ts=start + i * (7 * 86400 / count), endpoint="ask" if ask else "search", query=text,
            hashed=False, lang="en", mode="hybrid", top_ids=[f"a{n}" for n in range(5)], hits=hits,
            answered=answered if ask else None, reason=None if answered or not ask else "no passage matches",
            reason_kind=None if answered or not ask else "unsupported", latency_ms=12.0,
        ))  # fmt: skip
    return rows


def report(args: argparse.Namespace) -> int:
    path = Path(tempfile.mkdtemp(prefix="querylog-report-")) / "q.db"
    connection = connect(path)
    write_rows(connection, synthetic_rows(args.rows))
    connection.close()
    encoder = index_encoder(args.index)
    if encoder is None:
        print(f"no index at {args.index}", file=sys.stderr)
        return 2
    encoder.encode(["warm up"])  # the model's first call pays one-off costs no report repeats
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = read_report(path, encoder=encoder)
        times.append(time.perf_counter() - started)
    print(f"{args.rows} logged queries, {result.questions - result.answered} unanswered in "
          f"{len(result.unanswered)} groups shown: report in {median(times):.2f} s (median of {args.repeat}, "
          f"{', '.join(f'{t:.2f}' for t in times)})")  # fmt: skip
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench.querylog", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cost = commands.add_parser("overhead", help="/search throughput with the query log on and off, alternating")
    cost.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    cost.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS)
    cost.add_argument("--rounds", type=int, default=4)
    cost.add_argument("--duration", type=float, default=20.0)
    cost.add_argument("--concurrency", type=int, default=16)
    cost.add_argument("--queries", type=int, default=50_000)
    cost.set_defaults(handler=overhead)
    timed = commands.add_parser("report", help="time the report over a synthetic log")
    timed.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    timed.add_argument("--rows", type=int, default=100_000)
    timed.add_argument("--repeat", type=int, default=3)
    timed.set_defaults(handler=report)
    args = parser.parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
