"""Training and cross-validating the learned answerer: ``python -m eval.tuning.train_answerer --distractors DIR``.

1. Indexes (cached in ``--work``, rebuilt incrementally): the seeds alone, the seeds with the
   distractor articles (archive scale), and the seeds with the Russian articles (mixed).
2. Features: every question of eval/questions.jsonl on the seeds and archive indexes, of
   eval/questions_archive.jsonl on the archive index, and of the Russian sets on the mixed index,
   is retrieved (hybrid, 5 passages) and every candidate sentence gets its row of ``FEATURES``
   (indexer/answer/features.py) and a label: does it contain one of the question's answers. The
   rules answerer's outcome is recorded beside it. The table is cached in the work folder.
3. Cross-validation grouped by article: each seed article is a fold of its own, the Russian and
   distractor articles are dealt round the same folds, unanswerable questions likewise; a question
   is scored by a model fitted without any question about any of its articles.
4. The shipped model (``indexer/answer/model.json``) is fitted on every question.

scikit-learn is used here only (the ``eval`` extra); serving reads the coefficients with numpy.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt

from eval.backends.caching import CachingEncoder
from eval.errors import EvalError
from eval.questions import DEFAULT_QUESTIONS, Question, load_questions
from eval.relevance import contains_answer
from indexer.answer.answerer import Answerer
from indexer.answer.features import ABSTAIN_FEATURES, FEATURES
from indexer.answer.learned import DEFAULT_MODEL, LearnedModel, ModelFile, top_and_margin
from indexer.answer.question import expected_kind
from indexer.encoders.base import Encoder
from indexer.search.retriever import Retriever
from indexer.store.reader import load_index

EVAL_DIR = Path(__file__).resolve().parents[1]
ARCHIVE_QUESTIONS = EVAL_DIR / "questions_archive.jsonl"
RU_QUESTIONS = (EVAL_DIR / "ru" / "questions.jsonl", EVAL_DIR / "ru" / "questions_more.jsonl")
RU_ARTICLES = EVAL_DIR / "ru" / "articles"
FOLDS = 5
# The regularisation of both logistic models (scikit-learn's C), its default: 0.1 and 10 moved a
# pointwise ranker's CV figures by at most a question; the pairwise ranker was not swept.
C = 1.0
# The learned abstainer's veto: below this chance of being right an answer the evidence allows is
# withheld (0.05 to 0.1 gave the best CV balance; above 0.15 it withholds right answers).
THRESHOLD = 0.05
MODEL_VERSION = 1


class Sample(msgspec.Struct, frozen=True, kw_only=True):
    """One question on one index: its candidates' feature rows and labels, and the rules answerer's outcome."""

    scale: str
    id: str
    question: str
    lang: str
    kind: str
    doc_ids: tuple[str, ...]
    rows: list[list[float]]
    labels: list[bool]
    rules_answered: bool
    rules_correct: bool

    @property
    def answerable(self) -> bool:
        return bool(self.doc_ids)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one answerer did with one question."""

    sample: Sample
    answered: bool
    correct: bool


# -- features ----------------------------------------------------------------------------------


def extract(scale: str, retriever: Retriever, questions: Sequence[Question]) -> list[Sample]:
    """Every question's candidates on one index, with features, labels and the rules answerer's outcome."""
    answerer = Answerer(retriever, ranker="rules")
    vectors = retriever.encode_queries([q.question for q in questions])
    samples = []
    for question, vector in zip(questions, vectors, strict=True):
        query = retriever.read(question.question)
        if query.covered:
            query = query.with_vector(vector)
        hits = retriever.search(query, k=5, mode="hybrid")
        candidates, rows, _facts = answerer.featurize(query, hits)
        rules = answerer.ask(query)
        answer = rules.answer
        samples.append(
            Sample(
                scale=scale,
                id=question.id,
                question=question.question,
                lang=query.lang,
                kind=expected_kind(question.question) or "other",
                doc_ids=question.doc_ids,
                rows=np.round(rows.astype(np.float64), 6).tolist(),
                labels=[bool(question.answers) and contains_answer(c.text, question.answers) for c in candidates],
                rules_answered=answer is not None,
                rules_correct=answer is not None and contains_answer(answer.text, question.answers),
            )
        )
    return samples


def build_indexes(seeds: Path, distractors: Path, work: Path, encoder: Encoder) -> dict[str, Path]:
    """The seeds-only, archive and mixed-language indexes, built or brought up to date under ``work``."""
    from eval.archive.prepare import _build, _listing, prepare, sync_articles

    built = prepare(seeds, distractors, work, encoder, with_seeds_index=True)
    mixed = work / "mixed-articles"
    sync_articles([*_listing(seeds, "seeds"), *_listing(RU_ARTICLES, "Russian articles")], mixed)
    _build(mixed, work / "mixed-index", encoder, show_progress=False)
    return {"seeds": built.seeds_index, "archive": built.archive_index, "mixed": work / "mixed-index"}


def question_sets() -> dict[str, list[tuple[str, list[Question]]]]:
    """Which questions run on which index, under which scale name."""
    seeds = load_questions(DEFAULT_QUESTIONS)
    archive = load_questions(ARCHIVE_QUESTIONS)
    russian = [q for path in RU_QUESTIONS for q in load_questions(path)]
    return {
        "seeds": [("seeds", seeds)],
        "archive": [("archive", seeds), ("archive-new", archive)],
        "mixed": [("ru", russian)],
    }


def extract_all(indexes: dict[str, Path], encoder: Encoder) -> list[Sample]:
    samples: list[Sample] = []
    for name, sets in question_sets().items():
        retriever = Retriever(load_index(indexes[name]), encoder)
        for scale, questions in sets:
            samples.extend(extract(scale, retriever, questions))
            print(f"features: {scale}: {len(questions)} questions", file=sys.stderr)
    return samples


# -- folds ---------------------------------------------------------------------------------------


def fold_of_article(articles: Iterable[str]) -> dict[str, int]:
    """Seed articles a fold each (in name order), then Russian, then distractor articles dealt round."""
    ordered = sorted(set(articles), key=lambda a: (not a[:3].isdigit(), not a.startswith("ru_"), a))
    return {article: i % FOLDS for i, article in enumerate(ordered)}


def splits(samples: Sequence[Sample]) -> list[tuple[list[int], list[int]]]:
    """(test, train) sample indexes: every question is scored by a model fitted on no question about its articles.

    A question's folds are those of all its articles (a question answered by two seed articles
    touches two folds); the questions touching the same folds are scored together, by a model
    trained on the questions touching none of them.
    """
    articles = fold_of_article(a for s in samples for a in s.doc_ids)
    # An unanswerable question is its own group: the same question on two indexes shares a fold.
    spread = {key: i % FOLDS for i, key in enumerate(sorted({s.id for s in samples if not s.answerable}))}
    touched = [
        frozenset(articles[a] for a in s.doc_ids) if s.answerable else frozenset({spread[s.id]}) for s in samples
    ]
    result = []
    for group in sorted(set(touched), key=sorted):
        test = [i for i, t in enumerate(touched) if t == group]
        train = [i for i, t in enumerate(touched) if not t & group]
        result.append((test, train))
    return result


# -- fitting -------------------------------------------------------------------------------------


def _stack(samples: Sequence[Sample]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    rows = [row for s in samples for row in s.rows]
    labels = [int(label) for s in samples for label in s.labels]
    x = np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES))
    return x, np.asarray(labels, dtype=np.int64)


def fit_ranker(samples: Sequence[Sample], *, c: float = C, threshold: float = THRESHOLD) -> ModelFile:
    """The ranker alone, on every candidate (the abstainer left reading the top log-odds only)."""
    from sklearn.linear_model import LogisticRegression

    x, y = _stack(samples)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    # Pairwise: within a question, the right sentence against each wrong one (and the reverse), so the
    # ranker learns what sets the answer apart from its neighbours, not what makes a passage on topic.
    diffs: list[npt.NDArray[np.float64]] = []
    for s in samples:
        rows = (np.asarray(s.rows, dtype=np.float64).reshape(-1, len(FEATURES)) - mean) / scale
        right = [i for i, label in enumerate(s.labels) if label]
        wrong = [i for i, label in enumerate(s.labels) if not label]
        diffs.extend(rows[r] - rows[w] for r in right for w in wrong)
    pairs = np.asarray(diffs).reshape(-1, len(FEATURES))
    ranker = LogisticRegression(C=c, max_iter=5000, fit_intercept=False)
    ranker.fit(np.vstack([pairs, -pairs]), np.concatenate([np.ones(len(pairs)), np.zeros(len(pairs))]))
    ranker.intercept_ = np.zeros(1)
    return ModelFile(
        version=MODEL_VERSION,
        features=FEATURES,
        mean=tuple(_r(v) for v in mean),
        scale=tuple(_r(v) for v in scale),
        coef=tuple(_r(v) for v in ranker.coef_[0]),
        intercept=_r(ranker.intercept_[0]),
        abstain_features=ABSTAIN_FEATURES,
        abstain_coef=(1.0,) + (0.0,) * (1 + len(ABSTAIN_FEATURES)),
        abstain_intercept=0.0,
        threshold=threshold,
        trained_on={"questions": len(samples), "answerable": sum(s.answerable for s in samples), "candidates": len(y)},
    )


def fit(samples: Sequence[Sample], *, c: float = C, threshold: float = THRESHOLD) -> ModelFile:
    """The ranker on every candidate, then the abstainer on each question's top candidate.

    The abstainer learns from top candidates as a model that never saw their question ranks them
    (the same grouped splits, within ``samples``): a ranker's log-odds on its own training questions
    are more confident than on new ones, and an abstainer fitted on those would answer too often.
    """
    from sklearn.linear_model import LogisticRegression

    spec = fit_ranker(samples, c=c, threshold=threshold)
    final = LearnedModel.of(spec)
    inputs: list[npt.NDArray[np.float64]] = []
    wins: list[int] = []
    for test, train in splits(samples):
        inner = LearnedModel.of(fit_ranker([samples[i] for i in train], c=c)) if train else final
        for i in test:
            sample = samples[i]
            if not sample.rows:
                continue
            best, top, margin = top_and_margin(inner.logits(np.asarray(sample.rows)))
            inputs.append(final.abstain_inputs(sample.rows[best], top, margin))
            wins.append(int(sample.labels[best]))
    abstainer = LogisticRegression(C=c, max_iter=5000)
    abstainer.fit(np.asarray(inputs), np.asarray(wins))
    return msgspec.structs.replace(
        spec,
        abstain_coef=tuple(_r(v) for v in abstainer.coef_[0]),
        abstain_intercept=_r(abstainer.intercept_[0]),
    )


def _r(value: float) -> float:
    return round(float(value), 6)


def predict(model: LearnedModel, sample: Sample) -> Outcome:
    if not sample.rows:
        return Outcome(sample, answered=False, correct=False)
    logits = model.logits(np.asarray(sample.rows))
    best, top, margin = top_and_margin(logits)
    # As the answerer decides (indexer/answer/answerer.py): the evidence must allow an answer, then the model.
    allowed = bool(sample.rows[0][FEATURES.index("rules_answers")])
    answered = allowed and model.answer_probability(sample.rows[best], top, margin) >= model.threshold
    return Outcome(sample, answered=answered, correct=answered and sample.labels[best])


def cross_validate(samples: Sequence[Sample], *, c: float = C, threshold: float = THRESHOLD) -> list[Outcome]:
    """Every sample scored by a model fitted on the folds none of its articles is in."""
    outcomes: list[Outcome | None] = [None] * len(samples)
    for test, train in splits(samples):
        model = LearnedModel.of(fit([samples[i] for i in train], c=c, threshold=threshold))
        for i in test:
            outcomes[i] = predict(model, samples[i])
    return [o for o in outcomes if o is not None]


def rules_outcomes(samples: Sequence[Sample]) -> list[Outcome]:
    return [Outcome(s, answered=s.rules_answered, correct=s.rules_correct) for s in samples]


# -- reporting -----------------------------------------------------------------------------------


def metrics(outcomes: Sequence[Outcome]) -> dict[str, float | int | None]:
    answerable = [o for o in outcomes if o.sample.answerable]
    unanswerable = [o for o in outcomes if not o.sample.answerable]

    def share(values: list[bool]) -> float | None:
        return round(sum(values) / len(values), 3) if values else None

    return {
        "answer_acc": share([o.correct for o in answerable]),
        "abstain_unanswerable": share([not o.answered for o in unanswerable]),
        "false_abstain": share([not o.answered for o in answerable]),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
    }


def groups(outcomes: Sequence[Outcome]) -> dict[str, list[Outcome]]:
    """The report's rows: each scale, English and Russian, each question kind (over all scales)."""
    rows: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        scale = o.sample.scale
        rows[f"scale {scale}"].append(o)
        if scale in ("archive", "archive-new"):
            rows["scale archive (all)"].append(o)
        rows[f"lang {'ru' if o.sample.lang == 'ru' else 'en'}"].append(o)
        rows[f"kind {o.sample.kind}"].append(o)
    return dict(sorted(rows.items()))


def table(learned: Sequence[Outcome], rules: Sequence[Outcome]) -> str:
    lines = [
        "| questions | answerable / unanswerable | answer_acc rules → learned | abstain_unanswerable rules → learned "
        "| false_abstain rules → learned |",
        "|---|---:|---:|---:|---:|",
    ]
    ours, theirs = groups(learned), groups(rules)
    for name, outcomes in ours.items():
        a, b = metrics(theirs[name]), metrics(outcomes)
        pairs = [f"{_fmt(a[key])} → {_fmt(b[key])}" for key in ("answer_acc", "abstain_unanswerable", "false_abstain")]
        lines.append(f"| {name} | {b['n_answerable']} / {b['n_unanswerable']} | {' | '.join(pairs)} |")
    return "\n".join(lines)


def _fmt(value: float | int | None) -> str:
    return "" if value is None else f"{value:.3f}"


def summary(outcomes: Sequence[Outcome]) -> dict[str, dict[str, float | int | None]]:
    return {name: metrics(group) for name, group in groups(outcomes).items()}


# -- command -------------------------------------------------------------------------------------


def load_samples(path: Path) -> list[Sample]:
    return msgspec.json.decode(path.read_bytes(), type=list[Sample])


def write_model(path: Path, spec: ModelFile) -> None:
    path.write_text(json.dumps(msgspec.to_builtins(spec), indent=1) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    from eval.archive.prepare import DEFAULT_WORK_DIR
    from indexer.encoders.registry import encoder_cache_dir, load_encoder

    parser = argparse.ArgumentParser(prog="python -m eval.tuning.train_answerer", description=__doc__.splitlines()[0])
    parser.add_argument("--distractors", type=Path, required=True, help="python -m eval.archive.distractors DIR")
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK_DIR, help="cached indexes and features")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL, help="the model file to write")
    parser.add_argument("--features", type=Path, default=None, help="reuse this feature table (skip the indexes)")
    parser.add_argument("--json", type=Path, default=None, help="write the CV figures as JSON")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--c", type=float, default=C)
    args = parser.parse_args(argv)
    try:
        if args.features is not None:
            samples = load_samples(args.features)
        else:
            encoder = CachingEncoder(load_encoder(None, backend="torch", cache_dir=encoder_cache_dir(args.work)))
            indexes = build_indexes(args.seeds, args.distractors, args.work, encoder)
            samples = extract_all(indexes, encoder)
            table_path = args.work / "answerer-features.json"
            table_path.write_bytes(msgspec.json.encode(samples))
            print(f"wrote {table_path}", file=sys.stderr)
    except (EvalError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    learned = cross_validate(samples, c=args.c, threshold=args.threshold)
    rules = rules_outcomes(samples)
    print(table(learned, rules))
    if args.json is not None:
        args.json.write_text(
            json.dumps({"learned": summary(learned), "rules": summary(rules)}, indent=1) + "\n", encoding="utf-8"
        )
    write_model(args.out, fit(samples, c=args.c, threshold=args.threshold))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
