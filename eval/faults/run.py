"""The campaign: every scenario in turn, bounded in time, and the table of what held."""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.errors import EvalError
from eval.faults import builds, service
from eval.faults.builds import Row
from indexer.logs import configure_logging

DEFAULT_SEEDS = Path("seeds")


@dataclass(frozen=True, slots=True)
class CampaignOptions:
    seeds: Path = DEFAULT_SEEDS
    random_kills: int = 10
    seed: int = 14
    rebuilds: int = 2
    load_clients: int = 4
    level_s: float = 3.0
    overload_s: float = 10.0
    service: bool = True


# The scenarios in the order they run; ``--only`` picks some by these names.
BUILD_SCENARIOS = ("random-kills", "write-steps", "corruption", "full-disk")
SERVICE_SCENARIOS = ("reload", "overload")
SCENARIOS = BUILD_SCENARIOS + SERVICE_SCENARIOS


def run_campaign(
    options: CampaignOptions, *, only: Sequence[str] = (), say: Callable[[str], None] = print
) -> tuple[list[Row], float]:
    """Run the scenarios named in ``only`` (all when empty), in the campaign's order."""
    unknown = sorted(set(only) - set(SCENARIOS))
    if unknown:
        raise EvalError(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    chosen = [name for name in SCENARIOS if (not only or name in only)]
    if not options.service:
        chosen = [name for name in chosen if name not in SERVICE_SCENARIOS]
    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="polysearch-faults-") as tmp:
        work = Path(tmp)
        steps: list[tuple[str, Callable[[], Row]]] = []
        if any(name in BUILD_SCENARIOS for name in chosen):
            say("preparing two versions of the corpus (hashing encoder)")
            corpus = builds.prepare(options.seeds, work)
            build_steps: dict[str, tuple[str, Callable[[], Row]]] = {
                "random-kills": ("kill -9 at random instants", lambda: builds.kill_at_random_instants(
                    corpus, work, tries=options.random_kills, seed=options.seed)),
                "write-steps": ("kill -9 at every fsync and rename",
                                lambda: builds.kill_at_every_write_step(corpus, work)),
                "corruption": ("corrupting each file kind", lambda: builds.corrupt_each_file_kind(corpus, work)),
                "full-disk": ("filling the disk during builds", lambda: builds.full_disk(corpus, work)),
            }  # fmt: skip
            steps += [build_steps[name] for name in chosen if name in build_steps]
        if any(name in SERVICE_SCENARIOS for name in chosen):
            seeds = service.copy_seeds(options.seeds, work)
            index = work / "real-index"
            say("building the index with the packaged model")
            service.build_real_index(seeds, index)
            service_steps: dict[str, tuple[str, Callable[[], Row]]] = {
                "reload": ("building versions under load (packaged model, 2 workers)",
                           lambda: service.reload_under_load(
                               seeds, index, work, rebuilds=options.rebuilds, clients=options.load_clients)),
                "overload": ("overloading the service", lambda: service.overload(
                    index, work, level_s=options.level_s, overload_s=options.overload_s)),
            }  # fmt: skip
            steps += [service_steps[name] for name in chosen if name in service_steps]
        for label, step in steps:
            say(f"{label}...")
            begun = time.perf_counter()
            row = step()
            say(f"  {row.tries} tries, {row.failures} failures ({time.perf_counter() - begun:.0f} s)")
            rows.append(row)
    return rows, time.perf_counter() - started


def render_campaign(rows: Sequence[Row], *, seconds: float, command: str) -> str:
    lines = [
        f"`{command}` ({seconds:.0f} s, {platform.machine()}, Python {platform.python_version()}, "
        f"strace {'present' if shutil.which('strace') else 'absent'})",
        "",
        "| scenario | tries | failures | what was checked |",
        "|---|---:|---:|---|",
    ]
    for row in rows:
        lines.append(f"| {row.scenario} | {row.tries} | {row.failures} | {row.checked} |")
    for row in rows:
        for note in row.notes:
            lines.append(f"- {row.scenario}: {note}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.faults", description=__doc__)
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS)
    parser.add_argument("--no-service", action="store_true", help="only the build faults (no model needed)")
    parser.add_argument(
        "--only",
        action="append",
        choices=SCENARIOS,
        default=[],
        metavar="SCENARIO",
        help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}",
    )
    args = parser.parse_args(argv)
    # The builds this campaign damages on purpose warn that they repaired them, dozens of times;
    # only errors are worth a line (as JSON, like every log line of the project).
    configure_logging("ERROR")
    options = CampaignOptions(seeds=args.seeds, service=not args.no_service)
    rows, seconds = run_campaign(options, only=args.only)
    if not rows:
        print(
            "python -m eval.faults: nothing to run: --only names service scenarios and --no-service skips them",
            file=sys.stderr,
        )
        return 2
    command = "python -m eval.faults" + (" --no-service" if args.no_service else "")
    command += "".join(f" --only {name}" for name in args.only)
    print(render_campaign(rows, seconds=seconds, command=command))
    return 1 if any(row.failures for row in rows) else 0
