"""Gradient-boosted trees as the answer sentence's ranker, under the learned answerer's cross-validation.

``python -m eval.tuning.tree_study [--features FILE]``.

A study (docs/studies/tree-rankers.md), not part of training: it reads the feature table that
``python -m eval.tuning.train_answerer`` caches (``eval-work/answerer-features.json``), scores
every question by a ranker fitted on the same article-grouped splits, and keeps today's
abstention (the rules' evidence and the logistic veto, as cross-validated by train_answerer), so
only the chosen sentence differs. Every configuration of the fixed grids is printed; three
families are also run with their configuration chosen by an inner grouped cross-validation
inside each outer training set (nested), so no figure is picked by its own test questions.

Needs scikit-learn and ``lightgbm==4.6.0`` (neither is needed to serve).
"""

from __future__ import annotations

import argparse
import itertools
import json
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
from scipy.stats import binomtest

from eval.tuning import train_answerer as train
from indexer.answer.features import FEATURES
from indexer.answer.learned import LearnedModel

Floats = npt.NDArray[np.float64]
Scorer = Callable[[npt.ArrayLike], Floats]
SampleScorer = Callable[[train.Sample], Floats]
Params = dict[str, Any]
WIDTH = len(FEATURES)
SCALES = ("seeds", "archive", "archive-new", "ru")
# The rules answerer's own score and decisions: dropped by the "norules" family, so the trees
# must find the answer from the raw evidence instead of copying the rules' choice.
RULES_COLUMNS = tuple(FEATURES.index(n) for n in ("rules_score", "rules_top", "rules_pick", "rules_answers"))


def _stack(samples: Sequence[train.Sample], columns: Sequence[int]) -> tuple[Floats, npt.NDArray[np.int64], list[int]]:
    x = np.asarray([r for s in samples for r in s.rows], dtype=np.float64).reshape(-1, WIDTH)[:, list(columns)]
    y = np.asarray([int(label) for s in samples for label in s.labels], dtype=np.int64)
    return x, y, [len(s.rows) for s in samples if s.rows]


def _lgb(
    samples: Sequence[train.Sample],
    p: Params,
    objective: str,
    *,
    columns: Sequence[int] = tuple(range(WIDTH)),
    init: Scorer | None = None,
) -> Scorer:
    """LightGBM, deterministic: one thread, row-wise histograms, no bagging or feature sampling."""
    import lightgbm as lgb

    x, y, groups = _stack(samples, columns)
    options: dict[str, Any] = dict(
        n_estimators=p["n"],
        learning_rate=p["lr"],
        num_leaves=p["leaves"],
        min_child_samples=p["min_leaf"],
        reg_lambda=1.0,
        deterministic=True,
        force_row_wise=True,
        n_jobs=1,
        random_state=0,
        verbose=-1,
    )
    full = np.asarray([r for s in samples for r in s.rows], dtype=np.float64).reshape(-1, WIDTH)
    start = init(full) if init is not None else None
    model: Any
    if objective == "lambdarank":
        model = lgb.LGBMRanker(objective="lambdarank", **options)
        model.fit(x, y, group=groups, init_score=start)
    else:
        model = lgb.LGBMClassifier(objective="binary", **options)
        model.fit(x, y, init_score=start)

    def score(rows: npt.ArrayLike) -> Floats:
        r = np.asarray(rows, dtype=np.float64)
        tree = np.asarray(model.predict(r[:, list(columns)], raw_score=True), dtype=np.float64)
        return tree + init(r) if init is not None else tree

    return score


def _hgb(samples: Sequence[train.Sample], p: Params) -> Scorer:
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, y, _ = _stack(samples, range(WIDTH))
    model = HistGradientBoostingClassifier(
        max_iter=p["n"],
        learning_rate=p["lr"],
        max_leaf_nodes=p["leaves"],
        min_samples_leaf=p["min_leaf"],
        l2_regularization=1.0,
        early_stopping=False,
        random_state=0,
    )
    model.fit(x, y)
    return lambda rows: np.asarray(model.decision_function(np.asarray(rows, dtype=np.float64)), dtype=np.float64)


def _pair_hgb(samples: Sequence[train.Sample], p: Params) -> Scorer:
    """Trees on (right - wrong) row differences and their negation.

    A candidate scores its mean log-odds of beating each other candidate.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    diffs: list[Floats] = []
    for s in samples:
        rows = np.asarray(s.rows, dtype=np.float64).reshape(-1, WIDTH)
        right = [i for i, label in enumerate(s.labels) if label]
        wrong = [i for i, label in enumerate(s.labels) if not label]
        diffs.extend(rows[r] - rows[w] for r in right for w in wrong)
    d = np.asarray(diffs).reshape(-1, WIDTH)
    model = HistGradientBoostingClassifier(
        max_iter=p["n"],
        learning_rate=p["lr"],
        max_leaf_nodes=p["leaves"],
        min_samples_leaf=p["min_leaf"],
        l2_regularization=1.0,
        early_stopping=False,
        random_state=0,
    )
    model.fit(np.vstack([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))]))

    def score(rows: npt.ArrayLike) -> Floats:
        r = np.asarray(rows, dtype=np.float64)
        n = len(r)
        pairs = (r[:, None, :] - r[None, :, :]).reshape(-1, WIDTH)
        wins: Floats = np.asarray(model.decision_function(pairs), dtype=np.float64).reshape(n, n).mean(axis=1)
        return wins

    return score


def _logistic(samples: Sequence[train.Sample]) -> Scorer:
    return LearnedModel.of(train.fit_ranker(samples)).logits


def _standard(v: Floats) -> Floats:
    sd = float(v.std())
    standard: Floats = (v - v.mean()) / (sd if sd > 1e-9 else 1.0)
    return standard


KINDS = ("time", "number", "person", "other")


def _expand(sample: train.Sample) -> Floats:
    """The row and, per question kind, the row again where the question is of that kind (zeros elsewhere)."""
    rows = np.asarray(sample.rows, dtype=np.float64).reshape(-1, WIDTH)
    return np.hstack([rows, *(rows * (sample.kind == kind) for kind in KINDS)])


def _kind_logistic(samples: Sequence[train.Sample], c: float) -> SampleScorer:
    """The pairwise logistic ranker with a weight per feature and question kind: an interaction a tree would find."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([_expand(s) for s in samples if s.rows])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    diffs: list[Floats] = []
    for s in samples:
        if s.rows:
            z = (_expand(s) - mean) / scale
            right = [i for i, label in enumerate(s.labels) if label]
            wrong = [i for i, label in enumerate(s.labels) if not label]
            diffs.extend(z[r] - z[w] for r in right for w in wrong)
    d = np.asarray(diffs)
    model = LogisticRegression(C=c, max_iter=5000, fit_intercept=False)
    model.fit(np.vstack([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))]))
    coef = np.asarray(model.coef_[0], dtype=np.float64)

    def score(sample: train.Sample) -> Floats:
        logits: Floats = ((_expand(sample) - mean) / scale) @ coef
        return logits

    return score


def fit(family: str, samples: Sequence[train.Sample], p: Params) -> SampleScorer:
    """One ranker family, fitted on ``samples`` with settings ``p``."""
    if family == "kind-logistic":
        return _kind_logistic(samples, p["C"])
    rows = _fit_rows(family, samples, p)
    return lambda sample: rows(sample.rows)


def _fit_rows(family: str, samples: Sequence[train.Sample], p: Params) -> Scorer:
    if family in ("lgb-lambdarank", "lgb-binary"):
        return _lgb(samples, p, family.removeprefix("lgb-"))
    if family == "hgb-binary":
        return _hgb(samples, p)
    if family == "pair-hgb":
        return _pair_hgb(samples, p)
    if family in ("norules-lambdarank", "norules-binary"):
        keep = [i for i in range(WIDTH) if i not in RULES_COLUMNS]
        return _lgb(samples, p, family.removeprefix("norules-"), columns=keep)
    if family == "boost-lambdarank":
        # Trees boosted from the logistic ranker's log-odds: they can only add what the linear model misses.
        return _lgb(samples, p, "lambdarank", init=_logistic(samples))
    if family in ("blend-lambdarank", "blend-binary"):
        tree, linear, w = _lgb(samples, p, family.removeprefix("blend-")), _logistic(samples), p["w"]
        return lambda rows: w * _standard(tree(rows)) + (1 - w) * _standard(linear(rows))
    if family == "logistic":
        return _logistic(samples)
    raise ValueError(family)


def picks(
    samples: Sequence[train.Sample], family: str, p: Params, splits: Sequence[tuple[list[int], list[int]]]
) -> list[int | None]:
    """Each sample's chosen candidate, by a ranker fitted on the samples of its split's training side."""
    chosen: list[int | None] = [None] * len(samples)
    for test, trained in splits:
        score = fit(family, [samples[i] for i in trained], p)
        for i in test:
            if samples[i].rows:
                chosen[i] = int(np.argsort(-score(samples[i]), kind="stable")[0])
    return chosen


def _right(sample: train.Sample, chosen: int | None) -> bool:
    return chosen is not None and sample.labels[chosen]


def top1(samples: Sequence[train.Sample], chosen: Sequence[int | None]) -> float:
    right = [_right(s, c) for s, c in zip(samples, chosen, strict=True) if s.answerable]
    return sum(right) / len(right)


def nested(
    samples: Sequence[train.Sample], family: str, grid: Sequence[Params]
) -> tuple[list[int | None], list[Params]]:
    """Outer grouped CV; inside each outer training set the grid's best setting by inner grouped CV top-1."""
    chosen: list[int | None] = [None] * len(samples)
    settings = []
    for test, trained in train.splits(samples):
        inner = [samples[i] for i in trained]
        inner_splits = train.splits(inner)
        scores = [top1(inner, picks(inner, family, p, inner_splits)) for p in grid]
        best = grid[int(np.argmax(scores))]  # the first of equals: the smaller model
        settings.append(best)
        score = fit(family, inner, best)
        for i in test:
            if samples[i].rows:
                chosen[i] = int(np.argsort(-score(samples[i]), kind="stable")[0])
    return chosen, settings


def row(samples: Sequence[train.Sample], chosen: Sequence[int | None], answered: Sequence[bool]) -> str:
    """top-1 per scale | answer_acc per scale with today's abstention | wins / losses against the rules, sign test p."""
    tops, accs, wins, losses = [], [], 0, 0
    for scale in SCALES:
        idx = [i for i, s in enumerate(samples) if s.scale == scale and s.answerable]
        right = [_right(samples[i], chosen[i]) for i in idx]
        tops.append(sum(right) / len(idx))
        correct = [answered[i] and r for i, r in zip(idx, right, strict=True)]
        accs.append(sum(correct) / len(idx))
        wins += sum(c and not samples[i].rules_correct for i, c in zip(idx, correct, strict=True))
        losses += sum(samples[i].rules_correct and not c for i, c in zip(idx, correct, strict=True))
    p = binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
    cells = [f"{v:.3f}" for v in (*tops, top1(samples, chosen), *accs)]
    return f"{' | '.join(cells)} | +{wins} / −{losses} | {p:.2f}"


def grids() -> list[tuple[str, list[Params]]]:
    shallow = [
        dict(n=n, lr=0.1, leaves=lv, min_leaf=ml) for n, lv, ml in itertools.product((25, 50, 100), (4, 8), (20, 50))
    ]
    regular = [dict(n=n, lr=0.1, leaves=lv, min_leaf=50) for n, lv in itertools.product((25, 50, 100), (4, 8))]
    boost = [dict(n=n, lr=lr, leaves=4, min_leaf=50) for n, lr in itertools.product((10, 25, 50), (0.05, 0.1))]
    pair = [dict(n=n, lr=0.1, leaves=lv, min_leaf=50) for n, lv in itertools.product((25, 50), (4, 8))]
    blend = [dict(n=50, lr=0.1, leaves=4, min_leaf=50, w=w) for w in (0.25, 0.5)]
    kind = [dict(C=c) for c in (0.1, 1.0)]
    return [
        ("lgb-lambdarank", shallow),
        ("lgb-binary", shallow),
        ("hgb-binary", shallow),
        ("boost-lambdarank", boost),
        ("norules-lambdarank", regular),
        ("norules-binary", regular),
        ("pair-hgb", pair),
        ("blend-lambdarank", blend),
        ("blend-binary", blend),
        ("kind-logistic", kind),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.tuning.tree_study", description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=Path("eval-work/answerer-features.json"))
    parser.add_argument("--no-nested", action="store_true", help="the fixed grids only (the nested runs take longest)")
    parser.add_argument("--only", action="append", default=None, help="these families only (repeatable)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
    samples = train.load_samples(args.features)
    splits = train.splits(samples)
    # Today's abstention, cross-validated as train_answerer reports it: every ranker answers exactly there.
    answered = [o.answered for o in train.cross_validate(samples)]
    header = " | ".join(f"top-1 {s}" for s in (*SCALES, "all")) + " | " + " | ".join(f"answer_acc {s}" for s in SCALES)
    print(f"| ranker | settings | {header} | against rules | p |")
    print("|---|---|" + "---:|" * 11)
    rules_top = FEATURES.index("rules_top")
    rules = [int(np.argmax(np.asarray(s.rows)[:, rules_top])) if s.rows else None for s in samples]
    print(f"| rules' top sentence | | {row(samples, rules, answered)} |", flush=True)
    print(
        f"| logistic (shipped) | C 1 | {row(samples, picks(samples, 'logistic', {}, splits), answered)} |", flush=True
    )
    for family, grid in grids():
        if args.only and family not in args.only:
            continue
        for p in grid:
            print(
                f"| {family} | {json.dumps(p)} | {row(samples, picks(samples, family, p, splits), answered)} |",
                flush=True,
            )
    if not args.no_nested:
        for family, grid in grids()[:2] + grids()[3:4]:
            if args.only and family not in args.only:
                continue
            grid = [p for p in grid if p["lr"] == 0.05] if family == "boost-lambdarank" else grid
            chosen, settings = nested(samples, family, grid)
            print(f"| {family}, nested | {len(grid)} settings | {row(samples, chosen, answered)} |")
            print(f"  chosen per outer split: {[msgspec.json.encode(s).decode() for s in settings]}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
