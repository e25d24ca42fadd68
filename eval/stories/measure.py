"""Precision and recall of each content rule on the labelled pairs, and the near-copy threshold swept."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from eval.errors import EvalError
from eval.stories.pool import pool
from indexer.build.stories.anchors import Anchors, anchors_of, document_frequency, is_translation, translation_pairs
from indexer.build.stories.shingles import NEAR_COPY_JACCARD, is_near_copy, jaccard, shingles
from indexer.models import Article
from indexer.store.reader import load_index

PAIRS = Path(__file__).with_name("pairs.jsonl")
FLOORS = Path(__file__).with_name("floors.json")


class LabelledPair(msgspec.Struct, frozen=True, kw_only=True):
    """Two articles and whether they tell one story, labelled by reading them; ``kind`` says how they relate."""

    a: str
    b: str
    same: bool
    kind: str
    why: str


@dataclass(frozen=True, slots=True)
class RuleScore:
    """One rule on the pairs of its domain: merges right and wrong, true pairs missed."""

    rule: str
    pairs: int
    true_pairs: int
    right: int
    wrong: int

    @property
    def precision(self) -> float | None:
        merged = self.right + self.wrong
        return self.right / merged if merged else None

    @property
    def recall(self) -> float | None:
        return self.right / self.true_pairs if self.true_pairs else None


def read_pairs(path: Path = PAIRS) -> list[LabelledPair]:
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise EvalError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        return [msgspec.json.decode(line, type=LabelledPair) for line in lines if line.strip()]
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise EvalError(f"{path}: not a file of labelled pairs ({exc})") from exc


@dataclass(frozen=True, slots=True)
class Judged:
    """The pairs with their articles, and what the archive statistics of the translation rule need."""

    pairs: list[LabelledPair]
    articles: dict[str, Article]
    anchors: dict[str, Anchors]
    df: dict[str, int]

    @classmethod
    def of(cls, pairs: list[LabelledPair]) -> Judged:
        articles = pool({p.a for p in pairs} | {p.b for p in pairs})
        anchors = {article_id: anchors_of(a) for article_id, a in articles.items()}
        # Rarity is measured over the whole pool, as the build measures it over the whole index.
        return cls(pairs, articles, anchors, document_frequency(list(anchors.values())))

    def cross_language(self, pair: LabelledPair) -> bool:
        return self.articles[pair.a].lang != self.articles[pair.b].lang

    def near_copy(self, pair: LabelledPair, threshold: float = NEAR_COPY_JACCARD) -> bool:
        a, b = (shingles(self.articles[x].body) for x in (pair.a, pair.b))
        return is_near_copy(a, b, threshold=threshold)

    def translation(self, pair: LabelledPair, *, waive_dates: bool = False) -> bool:
        a, b = self.anchors[pair.a], self.anchors[pair.b]
        if waive_dates:
            # Anchors alone: as if both were published the same day.
            a, b = dataclasses.replace(a, day=0), dataclasses.replace(b, day=0)
        return is_translation(a, b, self.df, len(self.anchors))


def score(rule: str, pairs: Sequence[LabelledPair], decide: Callable[[LabelledPair], bool]) -> RuleScore:
    merged = [p for p in pairs if decide(p)]
    return RuleScore(
        rule,
        len(pairs),
        sum(p.same for p in pairs),
        sum(p.same for p in merged),
        sum(not p.same for p in merged),
    )


def measure(judged: Judged) -> list[RuleScore]:
    """Near-copies on same-language pairs, translations on cross-language ones, both rules on all."""
    same_lang = [p for p in judged.pairs if not judged.cross_language(p)]
    cross = [p for p in judged.pairs if judged.cross_language(p)]
    return [
        score("near-copy", same_lang, judged.near_copy),
        score("translation", cross, judged.translation),
        score("translation, dates waived", cross, lambda p: judged.translation(p, waive_dates=True)),
        score("all content rules", judged.pairs, lambda p: judged.near_copy(p) or judged.translation(p)),
    ]


def sweep(judged: Judged, thresholds: Sequence[float]) -> list[RuleScore]:
    same_lang = [p for p in judged.pairs if not judged.cross_language(p)]
    return [
        score(f"jaccard >= {t:.2f}", same_lang, functools.partial(judged.near_copy, threshold=t)) for t in thresholds
    ]


class Floor(msgspec.Struct, frozen=True, kw_only=True):
    """What a rule must keep on the labelled pairs: CI fails below these."""

    precision: float | None = None
    recall: float | None = None
    max_wrong: int | None = None


def read_floors(path: Path = FLOORS) -> dict[str, Floor]:
    try:
        return msgspec.json.decode(path.read_bytes(), type=dict[str, Floor])
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise EvalError(f"{path}: not a floors file ({exc})") from exc


def below_floors(scores: Sequence[RuleScore], floors: dict[str, Floor]) -> list[str]:
    """One line per figure under its floor (a rule without merges has no precision to fall)."""
    by_rule = {s.rule: s for s in scores}
    problems = []
    for rule, floor in sorted(floors.items()):
        found = by_rule.get(rule)
        if found is None:
            problems.append(f"{rule}: not measured")
            continue
        for name, value, least in (
            ("precision", found.precision, floor.precision),
            ("recall", found.recall, floor.recall),
        ):
            if least is not None and value is not None and value < least:
                problems.append(f"{rule}: {name} {value:.3f} below {least:.3f}")
        if floor.max_wrong is not None and found.wrong > floor.max_wrong:
            problems.append(f"{rule}: {found.wrong} wrong merges, at most {floor.max_wrong}")
    return problems


def index_groups(index_dir: Path) -> tuple[tuple[tuple[str, ...], ...], list[tuple[str, str]]]:
    """An index's stored groups, and the pairs the translation rule finds with every date made one."""
    index = load_index(index_dir)
    same_day = [msgspec.structs.replace(index.articles[a], date="2000-01-01") for a in index.articles]
    return index.stories.groups(), translation_pairs(same_day)


def jaccards(judged: Judged) -> list[tuple[LabelledPair, float]]:
    """Each same-language pair's shingle Jaccard, for reading where the labels fall."""
    found = []
    for pair in judged.pairs:
        if not judged.cross_language(pair):
            a, b = (shingles(judged.articles[x].body) for x in (pair.a, pair.b))
            found.append((pair, jaccard(a, b)))
    return found
