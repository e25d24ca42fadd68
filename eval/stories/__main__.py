"""``python -m eval.stories``: precision and recall of the story rules on the labelled pairs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from eval.errors import EvalError
from eval.stories.measure import (
    PAIRS,
    Judged,
    RuleScore,
    below_floors,
    index_groups,
    jaccards,
    measure,
    read_floors,
    read_pairs,
    sweep,
)
from indexer.errors import PolysearchError


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _row(score: RuleScore) -> str:
    return (
        f"{score.rule:<28} {score.pairs:>5} {score.true_pairs:>5} {score.right:>5} {score.wrong:>5} "
        f"{_figure(score.precision):>9} {_figure(score.recall):>7}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.stories", description=__doc__)
    parser.add_argument("--pairs", type=Path, default=PAIRS, help="labelled pairs (JSON lines: a, b, same, kind, why)")
    parser.add_argument("--jaccard", action="store_true", help="also print each same-language pair's Jaccard")
    parser.add_argument(
        "--index", type=Path, help="also list an index's story groups, and the translations found with dates waived"
    )
    parser.add_argument("--gate", action="store_true", help="exit 1 when a figure falls below eval/stories/floors.json")
    args = parser.parse_args(argv)
    try:
        judged = Judged.of(read_pairs(args.pairs))
        floors = read_floors() if args.gate else {}
    except EvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    header = f"{'rule':<28} {'pairs':>5} {'true':>5} {'right':>5} {'wrong':>5} {'precision':>9} {'recall':>7}"
    print(header)
    scores = measure(judged)
    for score in scores:
        print(_row(score))
    print()
    print("near-copy threshold on the same-language pairs:")
    for score in sweep(judged, (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)):
        print(_row(score))
    if args.jaccard:
        print()
        for pair, value in sorted(jaccards(judged), key=lambda item: -item[1]):
            print(f"{value:.3f} {'same' if pair.same else 'diff'} {pair.kind:<18} {pair.a} {pair.b}")
    if args.index is not None:
        try:
            groups, same_day = index_groups(args.index)
        except PolysearchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print()
        print(f"{args.index}: {len(groups)} stories with several versions")
        for group in groups:
            print("  " + " ".join(group))
        print(f"translations with every date made one: {len(same_day)}")
        for a, b in same_day:
            print(f"  {a} {b}")
    problems = below_floors(scores, floors)
    for problem in problems:
        print(f"below floor: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
