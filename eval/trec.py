"""Standard TREC run and qrels files, so the figures can be checked with trec_eval, ranx or pytrec_eval.

Run lines are ``qid Q0 docno rank score tag``; qrels lines are ``qid 0 docno 1``. The score
column is ``k + 1 - rank`` rather than the system's own score: fused (RRF) scores tie exactly
and trec_eval breaks ties by docno, which would reorder our ranking behind our back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from eval.errors import EvalError
from eval.records import Retrieved


def _write(path: Path, lines: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    except OSError as exc:
        raise EvalError(f"cannot write {path} ({exc.strerror or exc})") from exc


def run_lines(rankings: Mapping[str, Sequence[Retrieved]], *, tag: str) -> list[str]:
    lines: list[str] = []
    for qid, hits in rankings.items():
        depth = len(hits)
        lines.extend(f"{qid} Q0 {hit.passage_id} {hit.rank} {depth + 1 - hit.rank} {tag}" for hit in hits)
    return lines


def qrels_lines(qrels: Mapping[str, set[str]]) -> list[str]:
    return [f"{qid} 0 {pid} 1" for qid, relevant in qrels.items() for pid in sorted(relevant)]


def write_run(path: Path, rankings: Mapping[str, Sequence[Retrieved]], *, tag: str) -> None:
    _write(path, run_lines(rankings, tag=tag))


def write_qrels(path: Path, qrels: Mapping[str, set[str]]) -> None:
    _write(path, qrels_lines(qrels))
