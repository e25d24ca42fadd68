"""Quality floors for CI: a metric below its floor (or above its ceiling) is a regression.

The figures live in ``floors.json``, set just under the measured values recorded in
``eval/README.md``, so a change that makes retrieval or answering worse fails the build.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import msgspec

from eval.errors import EvalError
from eval.scoring import METRIC_KEYS

DEFAULT_FLOORS = Path(__file__).resolve().parent / "floors.json"


class Floors(msgspec.Struct, frozen=True, kw_only=True):
    """``floors[mode][metric]`` is a minimum, ``ceilings[mode][metric]`` a maximum."""

    floors: dict[str, dict[str, float]]
    ceilings: dict[str, dict[str, float]] = {}
    measured_with: str = ""


def load_floors(path: Path = DEFAULT_FLOORS) -> Floors:
    try:
        floors = msgspec.json.decode(path.read_bytes(), type=Floors)
    except OSError as exc:
        raise EvalError(f"cannot read floors file {path} ({exc.strerror or exc})") from exc
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise EvalError(f"{path} is not a valid floors file: {exc}") from exc
    for bounds in (floors.floors, floors.ceilings):
        for mode, values in bounds.items():
            unknown = sorted(set(values) - set(METRIC_KEYS))
            if unknown:
                raise EvalError(f"{path}: unknown metric(s) for {mode}: {', '.join(unknown)}")
    return floors


def check_floors(metrics_by_mode: Mapping[str, Mapping[str, float | int | None]], floors: Floors) -> list[str]:
    """One line per violated bound, for the modes that were evaluated; a missing value violates."""
    failures: list[str] = []
    for bounds, below in ((floors.floors, True), (floors.ceilings, False)):
        for mode, limits in bounds.items():
            if mode not in metrics_by_mode:
                continue
            for name, limit in sorted(limits.items()):
                value = metrics_by_mode[mode].get(name)
                if value is None:
                    failures.append(f"{mode} {name}: no value (limit {limit})")
                elif below and value < limit:
                    failures.append(f"{mode} {name} = {value:.4f}, below its floor {limit}")
                elif not below and value > limit:
                    failures.append(f"{mode} {name} = {value:.4f}, above its ceiling {limit}")
    return failures
