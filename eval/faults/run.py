"""The campaign: every scenario in turn, bounded in time, and the table of what held."""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.faults import builds, service
from eval.faults.builds import Row

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


def run_campaign(options: CampaignOptions, *, say: Callable[[str], None] = print) -> tuple[list[Row], float]:
    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="polysearch-faults-") as tmp:
        work = Path(tmp)
        say("preparing two versions of the corpus (hashing encoder)")
        corpus = builds.prepare(options.seeds, work)
        steps: list[tuple[str, Callable[[], Row]]] = [
            ("kill -9 at random instants", lambda: builds.kill_at_random_instants(
                corpus, work, tries=options.random_kills, seed=options.seed)),
            ("kill -9 at every fsync and rename", lambda: builds.kill_at_every_write_step(corpus, work)),
            ("corrupting each file kind", lambda: builds.corrupt_each_file_kind(corpus, work)),
            ("filling the disk during builds", lambda: builds.full_disk(corpus, work)),
        ]  # fmt: skip
        if options.service:
            seeds = service.copy_seeds(options.seeds, work)
            index = work / "real-index"

            def reload() -> Row:
                service.build_real_index(seeds, index)
                return service.reload_under_load(
                    seeds, index, work, rebuilds=options.rebuilds, clients=options.load_clients
                )

            steps += [
                ("building versions under load (packaged model, 2 workers)", reload),
                ("overloading the service", lambda: service.overload(
                    index, work, level_s=options.level_s, overload_s=options.overload_s)),
            ]  # fmt: skip
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
    args = parser.parse_args(argv)
    options = CampaignOptions(seeds=args.seeds, service=not args.no_service)
    rows, seconds = run_campaign(options)
    command = "python -m eval.faults" + (" --no-service" if args.no_service else "")
    print(render_campaign(rows, seconds=seconds, command=command))
    return 1 if any(row.failures for row in rows) else 0
