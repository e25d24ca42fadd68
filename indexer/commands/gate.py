"""The quality gate: a new version goes live only if it finds a question set's answers about as well as the live one.

The question file has the evaluation set's format (``eval/questions.jsonl``: one JSON object per
line with ``id``, ``question``, ``doc_ids`` and ``answers``), read here because the core does not
import ``eval``. A passage is relevant, as in ``eval/relevance.py``, when its article is one of
``doc_ids`` and its text contains one of ``answers`` (case and runs of whitespace ignored).
Each version is searched as the service would search it (hybrid, its own query encoder) and
scored by hit@5 and mrr@10 over the answerable questions.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from indexer.build.builder import BuildOptions, BuildReport
from indexer.encoders.base import Encoder
from indexer.encoders.registry import encoder_cache_dir, load_encoder, serving_backend
from indexer.errors import BuildError
from indexer.search.retriever import Retriever
from indexer.store.held import count_rejection, hold, promote
from indexer.store.layout import VERSION_PREFIX, live_name, read_held
from indexer.store.loaded import LoadedIndex
from indexer.store.reader import load_index, load_version

GATE_ENV = "POLYSEARCH_GATE"
MARGIN_ENV = "POLYSEARCH_GATE_MARGIN"
DEFAULT_MARGIN = 0.02
HIT_DEPTH = 5
RANK_DEPTH = 10
# Exit status of a command whose new version the gate kept aside (1 is a failed source, 2 an error).
HELD_EXIT = 3

_SPACE = re.compile(r"\s+")


class GateQuestion(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    question: str
    doc_ids: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Gate:
    """The questions a new version must answer, and how far a figure may fall below the live one's."""

    path: Path
    questions: tuple[GateQuestion, ...]
    margin: float


@dataclass(frozen=True, slots=True)
class Figures:
    hit5: float
    mrr10: float

    def named(self) -> dict[str, float]:
        return {f"hit@{HIT_DEPTH}": self.hit5, f"mrr@{RANK_DEPTH}": self.mrr10}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the gate decided for ``version``: live, or held with the line that says which figure fell."""

    version: str
    live: Figures
    new: Figures
    fell: str | None

    @property
    def passed(self) -> bool:
        return self.fell is None


def read_gate(path: Path, margin: float) -> Gate:
    """The answerable questions of ``path``; ``BuildError`` naming the file and line when it is unusable."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BuildError(f"cannot read gate questions {path} ({reason})") from None
    decoder = msgspec.json.Decoder(GateQuestion)
    questions: list[GateQuestion] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            question = decoder.decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise BuildError(f"{path}:{number}: not a question record ({exc})") from None
        if question.doc_ids and any(_normal(a) for a in question.answers):
            questions.append(question)
    if not questions:
        raise BuildError(f"{path}: no answerable questions (records with doc_ids and answers) for the gate")
    return Gate(path, tuple(questions), margin)


def gate_from(path: Path | None, margin: float | None) -> Gate | None:
    """``--gate``/``--gate-margin``, else ``$POLYSEARCH_GATE``/``$POLYSEARCH_GATE_MARGIN``; ``None``: no gate."""
    configured = os.environ.get(GATE_ENV, "").strip()
    chosen = path if path is not None else (Path(configured).expanduser() if configured else None)
    if chosen is None:
        return None
    if margin is None:
        text = os.environ.get(MARGIN_ENV, "").strip()
        try:
            margin = float(text) if text else DEFAULT_MARGIN
        except ValueError:
            raise BuildError(f"{MARGIN_ENV} must be a number such as 0.02, got {text!r}") from None
    if not 0.0 <= margin <= 1.0:
        raise BuildError(f"the gate margin must be between 0 and 1, got {margin}")
    return read_gate(chosen, margin)


def gated(options: BuildOptions, gate: Gate | None, out: Path) -> BuildOptions:
    """The build options: a build that replaces a live version is held for the gate; a first build is not."""
    if gate is None or live_name(out) is None:
        return options
    return dataclasses.replace(options, go_live=False)


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def score(retriever: Retriever, questions: Sequence[GateQuestion]) -> Figures:
    """Mean hit@5 and mrr@10 of hybrid search over ``questions``."""
    hits = ranks = 0.0
    for question in questions:
        answers = [a for a in map(_normal, question.answers) if a]
        found = retriever.search(question.question, k=RANK_DEPTH)
        relevant = [
            h.passage.article_id in question.doc_ids and any(a in _normal(h.passage.text) for a in answers)
            for h in found
        ]
        first = next((rank for rank, yes in enumerate(relevant, start=1) if yes), None)
        hits += 1.0 if first is not None and first <= HIT_DEPTH else 0.0
        ranks += 1.0 / first if first is not None else 0.0
    return Figures(hits / len(questions), ranks / len(questions))


def _retriever(index: LoadedIndex, index_dir: Path, encoders: dict[tuple[str, str], Encoder]) -> Retriever:
    """``index`` searched as the service would: by the query encoder its manifest calls for (shared when equal)."""
    model = index.manifest.model
    key = (model.name, serving_backend(model.backend))
    if key not in encoders:
        encoders[key] = load_encoder(model.name, backend=key[1], cache_dir=encoder_cache_dir(index_dir))
    return Retriever(index, encoders[key])


def judge(index_dir: Path, version: str, gate: Gate) -> Verdict:
    """Score the live version and ``version`` (held, not live) on the gate's questions."""
    encoders: dict[tuple[str, str], Encoder] = {}
    live = score(_retriever(load_index(index_dir), index_dir, encoders), gate.questions)
    new = score(_retriever(load_version(index_dir / version), index_dir, encoders), gate.questions)
    fell = [
        f"{name} fell {before:.3f} -> {after:.3f}"
        for (name, before), after in zip(live.named().items(), new.named().values(), strict=True)
        if after < before - gate.margin - 1e-9
    ]
    return Verdict(version, live, new, "; ".join(fell) or None)


def settle(index_dir: Path, report: BuildReport, gate: Gate | None) -> Verdict | None:
    """After a build: judge the version it wrote and held; promote it, or keep it aside and count that.

    ``None`` when there was nothing to judge (no gate, nothing written, or a first build that went live).
    """
    version = f"{VERSION_PREFIX}{report.version}"
    held = read_held(index_dir)
    if gate is None or not report.written or held is None or held.name != version:
        return None
    verdict = judge(index_dir, version, gate)
    if verdict.passed:
        promote(index_dir, version)
    else:
        hold(index_dir, version, f"{verdict.fell} on {gate.path.name}")
        count_rejection(index_dir)
    return verdict


def verdict_line(verdict: Verdict, index_dir: Path) -> str:
    """One line for the operator: what went live, or which figure fell and how to promote anyway."""
    figures = ", ".join(f"{name} {value:.3f}" for name, value in verdict.new.named().items())
    if verdict.passed:
        return f"gate: {verdict.version} went live ({figures})"
    live = live_name(index_dir)
    return (
        f"gate: {verdict.version} held, {verdict.fell}; {live} stays live "
        f"(`polysearch index --promote {verdict.version} --out {index_dir}` puts it live)"
    )
