"""Chunking and fusion sweep with the real packaged model: ``python -m eval.tuning.sweep``.

Builds one index per ``(chunk_tokens, overlap_tokens)`` into a temporary directory, then
evaluates dense and keyword once and hybrid plus ``ask`` once per fusion setting (fusion
changes ranking only, not the index). Prints one row per setting; ``--json`` keeps them all
and ``--markdown`` prints them as a markdown table. ``--calibrate`` adds, for the
first setting, the answer metrics every abstention threshold would give.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.backends.caching import CachingEncoder
from eval.backends.local import LocalBackend
from eval.errors import EvalError
from eval.metrics.chance import chance_reciprocal_rank
from eval.questions import DEFAULT_QUESTIONS, Question, load_questions
from eval.runner import evaluate
from eval.scoring import Metrics
from eval.tuning.calibration import ThresholdRow, threshold_table
from indexer.answer.answerer import Answerer
from indexer.build.builder import BuildOptions, build_index
from indexer.encoders.base import Encoder
from indexer.encoders.torch_backend import SentenceTransformerEncoder
from indexer.errors import PolysearchError
from indexer.logs import configure_logging
from indexer.search.fusion import FusionConfig
from indexer.search.retriever import Retriever
from indexer.store.loaded import LoadedIndex
from indexer.store.reader import load_index

COLUMNS = (
    ("dense", "mrr@10"),
    ("keyword", "mrr@10"),
    ("hybrid", "hit@1"),
    ("hybrid", "hit@5"),
    ("hybrid", "mrr@10"),
    ("hybrid", "ndcg@10"),
    ("hybrid", "answer_acc"),
    ("hybrid", "abstain_unanswerable"),
    ("hybrid", "false_abstain"),
)
HEADERS = ("d.mrr", "k.mrr", "h.hit@1", "h.hit@5", "h.mrr", "h.ndcg", "ans_acc", "abst_un", "false_ab")
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(4, 17))


@dataclass(frozen=True, slots=True)
class SweepRow:
    chunk_tokens: int
    overlap_tokens: int
    passages: int
    chance_mrr: float
    fusion: str
    metrics: dict[str, Metrics]


def fusion_label(config: FusionConfig) -> str:
    return f"{config.method}:{config.weight:g}" + (f":{config.rrf_k}" if config.method == "rrf" else "")


def parse_fusion(text: str) -> FusionConfig:
    """``rrf:0.5``, ``rrf:0.5:20`` or ``convex:0.3`` (method, dense weight, RRF k)."""
    parts = text.split(":")
    try:
        if parts[0] == "rrf" and len(parts) in (2, 3):
            rrf_k = int(parts[2]) if len(parts) == 3 else FusionConfig().rrf_k
            return FusionConfig(method="rrf", weight=float(parts[1]), rrf_k=rrf_k)
        if parts[0] == "convex" and len(parts) == 2:
            return FusionConfig(method="convex", weight=float(parts[1]))
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected rrf:W[:K] or convex:W, got {text!r}")


def int_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None


def chance_mrr(index: LoadedIndex, qrels: dict[str, set[str]]) -> float:
    """Mean reciprocal rank at 10 of a random ranking of this index's passages."""
    n = len(index.passages)
    values = [chance_reciprocal_rank(n, len(relevant), 10) for relevant in qrels.values()]
    return sum(values) / len(values) if values else 0.0


def _evaluate_index(
    index: LoadedIndex, encoder: Encoder, questions: Sequence[Question], fusions: Sequence[FusionConfig]
) -> tuple[float, list[tuple[str, dict[str, Metrics]]]]:
    singles = evaluate(LocalBackend(Retriever(index, encoder)), questions, modes=["dense", "keyword"], k=10)
    chance = chance_mrr(index, singles.qrels)
    rows = []
    for fusion in fusions:
        hybrid = evaluate(LocalBackend(Retriever(index, encoder, fusion=fusion)), questions, modes=["hybrid"], k=10)
        metrics: dict[str, Metrics] = {mode: run.metrics for mode, run in singles.runs.items()}
        metrics["hybrid"] = hybrid.runs["hybrid"].metrics
        rows.append((fusion_label(fusion), metrics))
    return chance, rows


def calibrate(
    index: LoadedIndex, encoder: Encoder, questions: Sequence[Question], fusion: FusionConfig
) -> list[ThresholdRow]:
    retriever = Retriever(index, encoder, fusion=fusion)
    # The raw score: thresholds are set on it (the confidence shown is a curve of it).
    outcomes = LocalBackend(retriever, Answerer(retriever, min_confidence=0.0, calibration=None)).ask(
        [q.question for q in questions]
    )
    return threshold_table(questions, outcomes, THRESHOLDS)


def run_sweep(
    seeds: Path,
    questions: Sequence[Question],
    encoder: Encoder,
    *,
    chunk_tokens: Sequence[int],
    overlap_tokens: Sequence[int],
    fusions: Sequence[FusionConfig],
    workdir: Path,
    calibration: list[ThresholdRow] | None = None,
) -> list[SweepRow]:
    rows: list[SweepRow] = []
    for chunk in chunk_tokens:
        for overlap in overlap_tokens:
            if overlap >= chunk:
                continue
            out = workdir / f"c{chunk}-o{overlap}"
            build_index(seeds, out, encoder, BuildOptions(chunk_tokens=chunk, overlap_tokens=overlap))
            index = load_index(out)
            chance, results = _evaluate_index(index, encoder, questions, fusions)
            for label, metrics in results:
                row = SweepRow(chunk, overlap, len(index.passages), chance, label, metrics)
                rows.append(row)
                print(format_row(row), flush=True)
            if calibration is not None and not calibration:
                calibration.extend(calibrate(index, encoder, questions, fusions[0]))
    return rows


def _cell(value: float | int | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def header() -> str:
    return f"{'chunk':>5} {'overlap':>7} {'pass.':>5} {'chance':>6} {'fusion':<12} " + " ".join(
        f"{h:>8}" for h in HEADERS
    )


def format_row(row: SweepRow) -> str:
    cells = " ".join(f"{_cell(row.metrics[mode][name]):>8}" for mode, name in COLUMNS)
    setting = f"{row.chunk_tokens:>5} {row.overlap_tokens:>7} {row.passages:>5} {row.chance_mrr:>6.3f}"
    return f"{setting} {row.fusion:<12} {cells}"


def markdown(rows: Sequence[SweepRow]) -> str:
    lines = [
        "| chunk | overlap | passages | chance mrr@10 | fusion | " + " | ".join(f"{m} {n}" for m, n in COLUMNS) + " |",
        "|" + "---:|" * 4 + "---|" + "---:|" * len(COLUMNS),
    ]
    for row in rows:
        cells = " | ".join(_cell(row.metrics[mode][name]) for mode, name in COLUMNS)
        setting = f"{row.chunk_tokens} | {row.overlap_tokens} | {row.passages} | {row.chance_mrr:.3f}"
        lines.append(f"| {setting} | {row.fusion} | {cells} |")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval.tuning.sweep", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--model", default=None, help="embedding model (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--chunk-tokens", type=int_list, default=[64, 96, 128, 192, 256])
    parser.add_argument("--overlap-tokens", type=int_list, default=[0, 16, 32, 64])
    parser.add_argument(
        "--fusion",
        type=parse_fusion,
        nargs="+",
        default=[FusionConfig()],
        help="fusion settings, e.g. rrf:0.5 convex:0.3",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="OUT")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--calibrate", action="store_true", help="abstention thresholds for the first setting")
    parser.add_argument("--log-level", default="WARNING")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        questions = load_questions(args.questions)
        encoder = CachingEncoder(SentenceTransformerEncoder(args.model))
        calibration: list[ThresholdRow] | None = [] if args.calibrate else None
        print(header(), flush=True)
        with tempfile.TemporaryDirectory(prefix="polysearch-sweep-") as workdir:
            rows = run_sweep(
                args.seeds,
                questions,
                encoder,
                chunk_tokens=args.chunk_tokens,
                overlap_tokens=args.overlap_tokens,
                fusions=args.fusion,
                workdir=Path(workdir),
                calibration=calibration,
            )
    except (PolysearchError, EvalError) as exc:
        print(f"sweep: error: {exc}", file=sys.stderr)
        return 2
    if args.markdown:
        print("\n" + markdown(rows))
    if calibration:
        print("\nabstention threshold (first setting): answer_acc abstain_unanswerable false_abstain")
        for t in calibration:
            print(f"  {t.threshold:.2f}  {t.answer_acc:.3f}  {t.abstain_unanswerable:.3f}  {t.false_abstain:.3f}")
    if args.json is not None:
        document = {"rows": [asdict(row) for row in rows], "calibration": [asdict(t) for t in calibration or []]}
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
