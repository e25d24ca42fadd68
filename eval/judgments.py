"""Feedback from the query log as TREC qrels: staff verdicts, kept apart from the gold question sets.

Each line is ``query_id 0 article_id relevance``: 1 for "helped", 0 for "did not help". The
latest verdict on a (query, article) pair stands; a verdict on an answer card without an
answer (an abstention) names no article and is left out.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from eval.errors import EvalError
from indexer.insights.store import open_readonly, read_feedback


def feedback_judgments(log: Path) -> dict[str, dict[str, int]]:
    """Relevance by query id and article id, from the feedback in the log at ``log``."""
    if not log.is_file():
        raise EvalError(f"no query log at {log}")
    try:
        connection = open_readonly(log)
        try:
            judged: dict[str, dict[str, int]] = {}
            for feedback in read_feedback(connection):
                if feedback.article_id is not None:
                    judged.setdefault(feedback.query_id, {})[feedback.article_id] = int(feedback.verdict == "yes")
            return judged
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise EvalError(f"cannot read the query log {log} ({exc})") from exc


def write_judgments(path: Path, judged: dict[str, dict[str, int]]) -> int:
    """Write ``judged`` as graded qrels, sorted by query then article; returns the lines written."""
    lines = [f"{qid} 0 {doc} {rel}" for qid in sorted(judged) for doc, rel in sorted(judged[qid].items())]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    except OSError as exc:
        raise EvalError(f"cannot write {path} ({exc.strerror or exc})") from exc
    return len(lines)


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """A TREC qrels file (``qid iter docno relevance`` per line) as relevance by query and document."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvalError(f"cannot read qrels file {path} ({exc.strerror or exc})") from exc
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 4 or not fields[3].lstrip("-").isdigit():
            raise EvalError(f"{path}:{number}: expected 'query 0 document relevance', got {line!r}")
        qrels.setdefault(fields[0], {})[fields[2]] = int(fields[3])
    return qrels
