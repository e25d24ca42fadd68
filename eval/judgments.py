"""Feedback from the query log as TREC qrels: staff verdicts, kept apart from the gold question sets.

Each line is ``query_id 0 article_id relevance``: 1 for "helped", 0 for "did not help". The
latest verdict on a (query, article) pair stands; a verdict on an answer card without an
answer (an abstention) names no article and is left out. Beside the qrels, ``<qrels>.queries.jsonl``
holds the text of each judged query (``{"id", "question"}``) so the judgments can be rerun; a
query the log keeps only as a keyed hash cannot be, and is left out of that file.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from eval.errors import EvalError
from indexer.insights.store import open_readonly, read_feedback, read_query


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


def judged_queries(log: Path, ids: list[str]) -> tuple[dict[str, str], int]:
    """The logged text of each query id, and how many ids have none to rerun (hashed or pruned)."""
    try:
        connection = open_readonly(log)
        try:
            texts: dict[str, str] = {}
            for query_id in sorted(set(ids)):
                logged = read_query(connection, query_id)
                if logged is not None and not logged.hashed:
                    texts[query_id] = logged.query
            return texts, len(set(ids)) - len(texts)
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise EvalError(f"cannot read the query log {log} ({exc})") from exc


def queries_path(qrels: Path) -> Path:
    """Where the judged queries of ``qrels`` are kept: ``<qrels>.queries.jsonl`` beside it."""
    return qrels.with_name(f"{qrels.name}.queries.jsonl")


def _write_lines(path: Path, lines: list[str]) -> int:
    """Write ``lines``, one per line, creating the folder; returns how many."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    except OSError as exc:
        raise EvalError(f"cannot write {path} ({exc.strerror or exc})") from exc
    return len(lines)


def write_queries(path: Path, texts: dict[str, str]) -> int:
    """Write ``texts`` as ``{"id", "question"}`` lines sorted by id; returns the lines written."""
    lines = [json.dumps({"id": qid, "question": texts[qid]}, ensure_ascii=False) for qid in sorted(texts)]
    return _write_lines(path, lines)


def read_judged_queries(path: Path) -> dict[str, str]:
    """The ``{"id", "question"}`` lines of ``path`` as question text by query id."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvalError(f"cannot read judged queries {path} ({exc.strerror or exc})") from exc
    queries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if (
            not isinstance(record, dict)
            or not isinstance(record.get("id"), str)
            or not isinstance(record.get("question"), str)
            or not record["question"].strip()
        ):
            raise EvalError(f'{path}:{number}: expected {{"id": str, "question": non-empty str}}, got {line!r}')
        queries[record["id"]] = record["question"]
    return queries


def write_judgments(path: Path, judged: dict[str, dict[str, int]]) -> int:
    """Write ``judged`` as graded qrels, sorted by query then article; returns the lines written."""
    lines = [f"{qid} 0 {doc} {rel}" for qid in sorted(judged) for doc, rel in sorted(judged[qid].items())]
    return _write_lines(path, lines)


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
