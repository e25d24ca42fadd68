"""Quality floors for CI: a metric below its floor (or above its ceiling) is a regression.

The figures live in ``floors.json``, set just under the measured values recorded in
``docs/evaluation.md`` ("CI gate"), so a change that makes retrieval or answering worse fails the build.
``polysearch eval --compare --write-floors eval/floors.json`` re-measures them after an
intended change (new defaults, a better answerer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import msgspec

from eval.errors import EvalError
from eval.scoring import METRIC_KEYS, RANK_METRICS, STORY_METRICS

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


def _floor(value: float, step: float) -> float:
    return max(0.0, math.floor((value - step) * 1000) / 1000)


def _ceiling(value: float, step: float) -> float:
    return min(1.0, math.ceil((value + step) * 1000) / 1000)


def floors_from(metrics_by_mode: Mapping[str, Mapping[str, float | int | None]], *, measured_with: str) -> Floors:
    """Bounds one question's worth (plus rounding) away from measured figures.

    The slack absorbs a single question flipping on another CPU's float rounding; two
    questions getting worse fail the gate.
    """
    floors: dict[str, dict[str, float]] = {}
    ceilings: dict[str, dict[str, float]] = {}
    for mode, metrics in metrics_by_mode.items():
        n_questions, n_unanswerable = int(metrics["n_questions"] or 0), int(metrics["n_unanswerable"] or 0)
        per_answerable = 1.0 / max(1, n_questions - n_unanswerable)
        per_unanswerable = 1.0 / max(1, n_unanswerable)
        floors[mode] = {
            name: _floor(float(value), per_answerable)
            for name in RANK_METRICS
            if (value := metrics.get(name)) is not None
        }
        # The story figures count only the questions whose story is told in several languages.
        per_told = 1.0 / max(1, int(metrics.get("n_lang_first") or 0))
        floors[mode].update(
            (name, _floor(float(value), per_told)) for name in STORY_METRICS if (value := metrics.get(name)) is not None
        )
        if mode.rpartition(":")[2] == "hybrid" and metrics.get("answer_acc") is not None:
            floors[mode]["answer_acc"] = _floor(float(metrics["answer_acc"] or 0.0), per_answerable)
            # A set without unanswerable questions has no abstention share to hold.
            if (abstained := metrics.get("abstain_unanswerable")) is not None:
                floors[mode]["abstain_unanswerable"] = _floor(float(abstained), per_unanswerable)
            ceilings[mode] = {"false_abstain": _ceiling(float(metrics["false_abstain"] or 0.0), per_answerable)}
    return Floors(floors=floors, ceilings=ceilings, measured_with=measured_with)


def write_floors(path: Path, floors: Floors) -> None:
    try:
        path.write_bytes(msgspec.json.format(msgspec.json.encode(floors), indent=2) + b"\n")
    except OSError as exc:
        raise EvalError(f"cannot write {path} ({exc.strerror or exc})") from exc
