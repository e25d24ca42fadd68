"""The gap report: what staff ask most, which questions the archive fails, and how often it answers.

Unanswered questions are grouped by meaning: each distinct text is embedded with the index's
encoder and joins the group whose leading question is closest, if at least ``threshold`` in
cosine, taking the texts most asked first (ties by text), so the same log gives the same groups.
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from indexer.encoders.base import Encoder
from indexer.errors import InsightsError
from indexer.insights.store import HASH_PREFIX, LoggedQuery, open_readonly, read_outcomes

# Cosine at or above which two unanswered questions count as one need (the packaged MiniLM:
# paraphrases score 0.7 to 0.9, questions that merely share a topic 0.3 to 0.6).
DEFAULT_THRESHOLD = 0.7
TOP = 20
# Distinct unanswered texts embedded per report, the most asked first: bounds the model's work
# on a large log (the rest are counted under "other"). 300 short texts take the packaged model
# about two seconds on a busy 2-core machine; the page shows the top 20 groups.
MAX_EMBEDDED = 300
EXAMPLES = 3
_SPACE = re.compile(r"\s+")
_SPAN = re.compile(r"^(\d+)([hdw])$")
_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400}
FOUND_NO_ANSWER = "found_no_answer"
NOTHING_FOUND = "nothing_found"


class Count(msgspec.Struct, frozen=True, kw_only=True):
    query: str
    count: int


class Group(msgspec.Struct, frozen=True, kw_only=True):
    """Unanswered questions that mean the same; ``status`` says whether passages came back for most."""

    count: int
    example: str
    examples: list[str]
    reasons: list[Count]
    found: int  # asked with passages found, none of them an answer
    nothing: int  # asked and nothing found
    status: str


class Day(msgspec.Struct, frozen=True, kw_only=True):
    day: str
    searches: int
    questions: int
    answered: int
    share: float | None


class Report(msgspec.Struct, frozen=True, kw_only=True):
    since: float
    queries: int
    searches: int
    questions: int
    answered: int
    top_queries: list[Count]
    unanswered: list[Group]
    unanswered_other: int
    no_results: list[Count]
    days: list[Day]


def since_time(text: str, *, now: float | None = None) -> float:
    """``7d``, ``12h``, ``2w`` back from now, or an ISO date (UTC midnight), as epoch seconds."""
    value = text.strip().lower()
    if match := _SPAN.match(value):
        return (time.time() if now is None else now) - int(match.group(1)) * _SECONDS[match.group(2)]
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InsightsError(f"since: expected a span such as 7d, 12h, 2w or a date YYYY-MM-DD, got {text!r}") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()


def normalise(text: str) -> str:
    """The form queries are counted under: case, spacing and a closing "?" do not make another question."""
    return _SPACE.sub(" ", text.strip().rstrip("?!. ")).casefold()


@dataclass
class _Texts:
    """Distinct texts of a kind, with the first spelling seen of each."""

    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    spelling: dict[str, str] = field(default_factory=dict)

    def add(self, text: str) -> str:
        key = normalise(text)
        self.counts[key] += 1
        self.spelling.setdefault(key, text.strip())
        return key

    def top(self, n: int) -> list[Count]:
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))[:n]
        return [Count(query=self.spelling[key], count=count) for key, count in ranked]


@dataclass
class _Unanswered:
    texts: _Texts = field(default_factory=_Texts)
    reasons: collections.defaultdict[str, collections.Counter[str]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    found: collections.Counter[str] = field(default_factory=collections.Counter)
    nothing: collections.Counter[str] = field(default_factory=collections.Counter)


def build_report(
    rows: Iterable[LoggedQuery],
    *,
    encoder: Encoder | None,
    since: float = 0.0,
    threshold: float = DEFAULT_THRESHOLD,
    top: int = TOP,
    max_embedded: int = MAX_EMBEDDED,
) -> Report:
    """The report over ``rows``; without an encoder, unanswered questions group by their text alone."""
    asked = _Texts()
    empty = _Texts()
    failed = _Unanswered()
    days: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    searches = questions = answered = 0
    for row in rows:
        asked.add(row.query)
        day = days[dt.datetime.fromtimestamp(row.ts, dt.UTC).date().isoformat()]
        if row.hits == 0:
            empty.add(row.query)
        if row.endpoint != "ask":
            searches += 1
            day[0] += 1
            continue
        questions += 1
        day[1] += 1
        if row.answered:
            answered += 1
            day[2] += 1
            continue
        key = failed.texts.add(row.query)
        failed.reasons[key][row.reason or "no reason given"] += 1
        (failed.found if row.hits else failed.nothing)[key] += 1
    groups, other = _groups(failed, encoder, threshold=threshold, max_embedded=max_embedded)
    return Report(
        since=since,
        queries=searches + questions,
        searches=searches,
        questions=questions,
        answered=answered,
        top_queries=asked.top(top),
        unanswered=groups[:top],
        unanswered_other=other + sum(g.count for g in groups[top:]),
        no_results=empty.top(top),
        days=[
            Day(day=name, searches=s, questions=q, answered=a, share=round(a / q, 4) if q else None)
            for name, (s, q, a) in sorted(days.items())
        ],
    )


def _groups(
    failed: _Unanswered, encoder: Encoder | None, *, threshold: float, max_embedded: int
) -> tuple[list[Group], int]:
    ranked = sorted(failed.texts.counts.items(), key=lambda item: (-item[1], item[0]))
    kept, rest = ranked[:max_embedded], ranked[max_embedded:]
    members = _cluster([key for key, _ in kept], [failed.texts.spelling[key] for key, _ in kept], encoder, threshold)
    groups: list[Group] = []
    for keys in members:
        reasons: collections.Counter[str] = collections.Counter()
        for key in keys:
            reasons.update(failed.reasons[key])
        found = sum(failed.found[key] for key in keys)
        nothing = sum(failed.nothing[key] for key in keys)
        groups.append(
            Group(
                count=sum(failed.texts.counts[key] for key in keys),
                example=failed.texts.spelling[keys[0]],
                examples=[failed.texts.spelling[key] for key in keys[:EXAMPLES]],
                reasons=[Count(query=r, count=c) for r, c in sorted(reasons.items(), key=lambda i: (-i[1], i[0]))],
                found=found,
                nothing=nothing,
                status=FOUND_NO_ANSWER if found >= nothing else NOTHING_FOUND,
            )
        )
    groups.sort(key=lambda g: (-g.count, normalise(g.example)))
    return groups, sum(count for _, count in rest)


def _cluster(keys: Sequence[str], texts: Sequence[str], encoder: Encoder | None, threshold: float) -> list[list[str]]:
    """Greedy leader clustering in the given order: each text joins its closest leader if close enough."""
    readable = [i for i, key in enumerate(keys) if encoder is not None and not key.startswith(HASH_PREFIX)]
    vectors = np.zeros((len(keys), 1), dtype=np.float32)
    if readable and encoder is not None:
        encoded = np.asarray(encoder.encode([texts[i] for i in readable]), dtype=np.float32)
        vectors = np.zeros((len(keys), encoded.shape[1]), dtype=np.float32)
        vectors[readable] = encoded
    can_embed = set(readable)
    leaders: list[int] = []
    members: list[list[str]] = []
    for i, key in enumerate(keys):
        joined = False
        if i in can_embed and leaders:
            embedded = [j for j, leader in enumerate(leaders) if leader in can_embed]
            if embedded:
                sims = vectors[[leaders[j] for j in embedded]] @ vectors[i]
                best = int(np.argmax(sims))
                if float(sims[best]) >= threshold:
                    members[embedded[best]].append(key)
                    joined = True
        if not joined:
            leaders.append(i)
            members.append([key])
    return members


def read_report(path: Path, *, encoder: Encoder | None, since: float = 0.0, **options: Any) -> Report:
    """The report over the log at ``path`` (opened read-only); ``InsightsError`` when it cannot be read."""
    if not path.is_file():
        raise InsightsError(f"no query log at {path}")
    try:
        connection = open_readonly(path)
        try:
            return build_report(read_outcomes(connection, since=since), encoder=encoder, since=since, **options)
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise InsightsError(f"cannot read the query log {path} ({exc})") from exc


def draft_questions(report: Report, *, prefix: str = "draft") -> list[dict[str, object]]:
    """One question per unanswered group, in the eval question format, for an editor to complete.

    ``doc_ids`` and ``answers`` are left empty: read as is, the file says "the archive cannot
    answer these", which an editor turns into answerable questions by filling both in.
    """
    return [
        {"id": f"{prefix}-{number:03d}", "question": group.example, "doc_ids": [], "answers": []}
        for number, group in enumerate(report.unanswered, start=1)
        if not group.example.startswith(HASH_PREFIX)
    ]
