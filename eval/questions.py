"""The question set: one JSON object per line with the articles and answer strings that answer it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import msgspec

from eval.errors import EvalError

DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"


class Question(msgspec.Struct, frozen=True, kw_only=True):
    """A question staff would ask; no ``doc_ids`` means the corpus cannot answer it.

    ``category`` groups questions for per-category figures (``temporal``, ``latest``,
    ``date-topic``, ...). ``now`` is the day the question is asked on, so "last year" means the
    same on every run. ``published`` is the publication window the question states, as
    ``[from, to]`` ISO days (the time reading must filter to exactly it); ``date_topic`` marks a
    question whose date is what it is about (the reading must not filter).
    """

    id: str
    question: str
    doc_ids: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()
    category: str | None = None
    now: str | None = None
    published: tuple[str, str] | None = None
    date_topic: bool = False

    @property
    def answerable(self) -> bool:
        return bool(self.doc_ids)

    @property
    def today(self) -> dt.date | None:
        return None if self.now is None else dt.date.fromisoformat(self.now)

    @property
    def window(self) -> tuple[dt.date, dt.date] | None:
        if self.published is None:
            return None
        return dt.date.fromisoformat(self.published[0]), dt.date.fromisoformat(self.published[1])


def _check(question: Question, where: str) -> None:
    if not question.id.strip() or not question.question.strip():
        raise EvalError(f"{where}: id and question must not be empty")
    if bool(question.doc_ids) != bool(question.answers):
        raise EvalError(f"{where}: doc_ids and answers must both be given, or both be empty (unanswerable)")
    if any(not answer.strip() for answer in question.answers):
        raise EvalError(f"{where}: an answer string is empty")
    try:
        question.today  # noqa: B018 (parsed to check it)
        window = question.window
    except ValueError as exc:
        raise EvalError(f"{where}: now and published must be ISO days ({exc})") from exc
    if window is not None and window[0] > window[1]:
        raise EvalError(f"{where}: published runs backwards")
    if window is not None and question.date_topic:
        raise EvalError(f"{where}: a question states a publication time or has a date as its topic, not both")


def parse_questions(lines: Sequence[str], *, source: str = "<questions>") -> list[Question]:
    """Decode and validate question lines; blank lines are ignored, ids must be unique."""
    decoder = msgspec.json.Decoder(Question)
    questions: list[Question] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            question = decoder.decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise EvalError(f"{where}: not a valid question record ({exc})") from exc
        _check(question, where)
        if question.id in seen:
            raise EvalError(f"{where}: duplicate question id {question.id!r}")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise EvalError(f"{source}: no questions")
    return questions


def load_questions(path: Path = DEFAULT_QUESTIONS) -> list[Question]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvalError(f"cannot read questions file {path} ({exc.strerror or exc})") from exc
    return parse_questions(text.splitlines(), source=str(path))
