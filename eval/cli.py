"""``polysearch eval``: run the question set in-process or against a service, and report."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from eval.backends.base import Backend
from eval.backends.caching import CachingEncoder
from eval.errors import EvalError
from eval.floors import check_floors, floors_from, load_floors, write_floors
from eval.judged import score_judged
from eval.judgments import (
    feedback_judgments,
    judged_queries,
    queries_path,
    read_judged_queries,
    read_qrels,
    write_judgments,
    write_queries,
)
from eval.questions import DEFAULT_QUESTIONS, Question, load_questions
from eval.report import payload, render, write_json
from eval.runner import Evaluation, compare_modes, evaluate
from eval.scoring import Metrics, hit_curve
from eval.significance import Comparison
from eval.trec import write_qrels, write_run
from eval.versions import NO_STORIES, StoryView, read_groups, versions_of
from indexer.answer.answerer import RANKERS
from indexer.commands.options import DEFAULT_INDEX, positive_int
from indexer.encoders.base import Encoder
from indexer.encoders.registry import BACKENDS
from indexer.insights.store import LOG_FILE
from indexer.models import SEARCH_MODES, SearchMode


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("eval", help="measure retrieval and answers on a question set")
    add = parser.add_argument
    add("--questions", type=Path, default=DEFAULT_QUESTIONS, help="JSONL question set (default: eval/questions.jsonl)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--index", type=Path, default=None, help=f"evaluate in-process (default {DEFAULT_INDEX})")
    target.add_argument("--url", default=None, help="evaluate a running service over HTTP, e.g. http://127.0.0.1:8000")
    add("--mode", choices=SEARCH_MODES, default="hybrid", help="search mode (with --compare: the one --json reports)")
    add("-k", type=positive_int, default=10, help="passages retrieved per question")
    add("--compare", action="store_true", help="dense, keyword and hybrid side by side, with significance tests")
    add("--json", type=Path, default=None, metavar="OUT", help="write metrics and per-question results")
    add("--trec-run", type=Path, default=None, metavar="OUT", help="write a TREC run (a file per mode with --compare)")
    add("--qrels", type=Path, default=None, metavar="OUT", help="write TREC qrels from the relevance rule")
    add("--plot", type=Path, default=None, metavar="OUT.png", help="plot hit@k for k=1..10, one line per mode")
    add(
        "--answerer",
        choices=RANKERS,
        default=None,
        help="in-process: the answerer's sentence ranker (default: the answerer's own, rules); "
        "learned is indexer/answer/model.json (docs/evaluation.md, 'The learned answerer')",
    )
    add("--floors", type=Path, default=None, metavar="FILE", help="exit 1 when a metric breaks a bound in FILE")
    add("--write-floors", type=Path, default=None, metavar="FILE", help="write bounds just under these figures")
    add(
        "--distractors",
        type=Path,
        default=None,
        metavar="DIR",
        help="archive scale: index the seeds with the articles in DIR (python -m eval.archive.distractors DIR "
        "writes them); with --compare, print the seeds-only and the archive tables",
    )
    add("--seeds", type=Path, default=Path("seeds"), help="seed articles for --distractors (default: seeds)")
    add("--work", type=Path, default=None, metavar="DIR", help="where --distractors keeps its indexes (eval-work)")
    add(
        "--index-backend",
        choices=BACKENDS,
        default="torch",
        help="encoder backend that builds the --distractors indexes (default: torch); questions are encoded by "
        "torch, or by int8 for an int8 index",
    )
    add(
        "--judgments",
        type=Path,
        default=None,
        metavar="OUT",
        help="write the staff feedback in the query log as TREC qrels (query id, 0, article id, 1 helped / "
        "0 did not) and exit; kept apart from the question sets",
    )
    add("--query-log", type=Path, default=None, metavar="FILE", help=f"the query log (default INDEX/{LOG_FILE})")
    add("--read-judgments", type=Path, default=None, metavar="QRELS", help="summarise a judgments file and exit")
    add(
        "--no-time-reading",
        action="store_true",
        help="in-process only: read no dates or 'latest' from the questions (the words are only keywords), "
        "to measure what reading them gives",
    )
    add(
        "--judged",
        type=Path,
        default=None,
        metavar="QRELS",
        help="score --mode on the judged queries of a --judgments file (QRELS.queries.jsonl beside it): "
        "hit@1/hit@5/mrr@10 with 'helped' as relevant, and how often a 'not helped' article ranks first",
    )
    add(
        "--stories",
        type=Path,
        default=None,
        metavar="FILE",
        help='which articles are versions of one story, as {"groups": [[article ids...], ...]} (default: the '
        "stories the index holds); a hit on any version counts, and lang_first reports whether the version in "
        "the question's language ranks first",
    )
    parser.set_defaults(handler=run_eval)


def open_backend(args: argparse.Namespace) -> Backend:
    if args.url is not None:
        from eval.backends.remote import HttpBackend

        return HttpBackend(args.url)
    from eval.backends.local import LocalBackend

    return LocalBackend.open(args.index or DEFAULT_INDEX, ranker=args.answerer, infer_dates=not args.no_time_reading)


def story_view(args: argparse.Namespace, backend: Backend) -> StoryView:
    """The stories the evaluation counts once: ``--stories``, else the evaluated index's own; with their languages."""
    from eval.backends.local import LocalBackend

    local = backend if isinstance(backend, LocalBackend) else None
    if args.stories is not None:
        stories = read_groups(args.stories)
    elif local is not None:
        stories = local.retriever.index.stories
    else:
        return NO_STORIES
    ids = sorted(versions_of(stories))
    if not ids:
        return NO_STORIES
    langs = local.article_langs(ids) if local is not None else backend_langs(backend, ids)
    return StoryView.of(stories, langs)


def backend_langs(backend: Backend, ids: Sequence[str]) -> dict[str, str | None]:
    """Article languages from a service (``GET /articles/{id}``)."""
    from eval.backends.remote import HttpBackend

    if not isinstance(backend, HttpBackend):
        raise EvalError("--stories needs the index or a service to read the articles' languages from")
    return backend.article_langs(ids)


def run_path(path: Path, mode: str, *, several: bool) -> Path:
    """``run.trec`` for one mode; ``run.hybrid.trec`` and siblings when several modes are written."""
    return path.with_name(f"{path.stem}.{mode}{path.suffix}") if several else path


def write_outputs(
    args: argparse.Namespace,
    evaluation: Evaluation,
    primary: SearchMode,
    comparisons: Sequence[Comparison],
    *,
    json_document: dict[str, object] | None = None,
) -> None:
    several = len(evaluation.runs) > 1
    if args.json is not None:
        write_json(args.json, json_document or payload(evaluation, primary, comparisons))
        print(f"wrote {args.json}")
    if args.trec_run is not None:
        for mode, run in evaluation.runs.items():
            path = run_path(args.trec_run, mode, several=several)
            write_run(path, {j.question.id: j.hits for j in run.judged}, tag=f"polysearch-{mode}")
            print(f"wrote {path}")
    if args.qrels is not None:
        write_qrels(args.qrels, evaluation.qrels)
        source = "retrieved hits only (HTTP mode)" if evaluation.qrels_pooled else "all index passages"
        print(f"wrote {args.qrels} (judged over {source})")
    if args.plot is not None:
        from eval.plot import plot_hit_curves

        curves: dict[str, list[float]] = {mode: hit_curve(run.judged) for mode, run in evaluation.runs.items()}
        answerable = sum(q.answerable for q in evaluation.questions)
        plot_hit_curves(args.plot, curves, title=f"hit@k over {answerable} answerable questions")
        print(f"wrote {args.plot}")


def _archive_evaluations(
    args: argparse.Namespace, questions: list[Question], modes: tuple[SearchMode, ...]
) -> list[tuple[str, Evaluation]]:
    """Seeds-only (with --compare) and archive-scale evaluations on indexes cached in the work folder."""
    from eval.archive.prepare import DEFAULT_WORK_DIR, prepare
    from eval.backends.local import LocalBackend
    from indexer.encoders.registry import compatible, encoder_cache_dir, load_encoder

    if args.url is not None or args.index is not None:
        raise EvalError(
            "--distractors builds its own indexes: leave out --url/--index (a served index is evaluated "
            "with --url alone)"
        )
    work = args.work or DEFAULT_WORK_DIR
    # The questions are encoded by the reference (torch), or by int8 for int8 vectors, so a build
    # backend is measured by what its vectors change, not by what its queries would.
    query_backend = "torch" if compatible(args.index_backend, "torch") else args.index_backend
    encoder = CachingEncoder(load_encoder(None, backend=query_backend, cache_dir=encoder_cache_dir(work)))
    builder: Encoder = encoder
    if args.index_backend != query_backend:
        builder = load_encoder(None, backend=args.index_backend, cache_dir=encoder_cache_dir(work))
    built = prepare(args.seeds, args.distractors, work, builder, with_seeds_index=args.compare, show_progress=True)
    targets = [("seeds", built.seeds_index)] if args.compare else []
    targets.append(("archive", built.archive_index))
    evaluations = []
    for scale, index in targets:
        backend = LocalBackend.open(index, encoder=encoder, ranker=args.answerer)
        evaluations.append((scale, evaluate(backend, questions, modes=modes, k=args.k)))
    print(f"archive: {built.n_seeds} seed articles + {built.n_distractors} distractors from {args.distractors}")
    return evaluations


def _scaled(scale: str, metrics: dict[str, Metrics]) -> dict[str, Metrics]:
    """Archive figures are keyed ``archive:<mode>`` in floors files, beside the seeds-only ``<mode>``."""
    return {(mode if scale == "seeds" else f"{scale}:{mode}"): values for mode, values in metrics.items()}


def run_judgments(args: argparse.Namespace) -> int:
    """``--judgments`` and ``--read-judgments``: feedback out of the log, or a qrels file read back."""
    if args.read_judgments is not None:
        judged = read_qrels(args.read_judgments)
        helped = sum(rel > 0 for docs in judged.values() for rel in docs.values())
        total = sum(len(docs) for docs in judged.values())
        print(f"{args.read_judgments}: {len(judged)} queries, {total} judgments, {helped} helped")
        return 0
    log = args.query_log or (args.index or DEFAULT_INDEX) / LOG_FILE
    judged = feedback_judgments(log)
    lines = write_judgments(args.judgments, judged)
    texts, skipped = judged_queries(log, list(judged))
    path = queries_path(args.judgments)
    written = write_queries(path, texts)
    print(f"wrote {args.judgments} ({lines} judgments)")
    print(f"wrote {path} ({written} queries; {skipped} skipped: logged as keyed hashes or pruned, cannot be rerun)")
    return 0


def run_judged(args: argparse.Namespace) -> int:
    """``--judged``: rerun the judged queries and score them on the staff judgments alone."""
    qrels = read_qrels(args.judged)
    queries = read_judged_queries(queries_path(args.judged))
    backend = open_backend(args)
    try:
        report = score_judged(backend, qrels, queries, mode=args.mode, k=args.k)
    finally:
        backend.close()
    print(report.render())
    if args.json is not None:
        write_json(args.json, report.document())
        print(f"wrote {args.json}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    if args.judgments is not None or args.read_judgments is not None:
        return run_judgments(args)
    if args.judged is not None:
        return run_judged(args)
    if args.url is not None and args.answerer is not None:
        raise EvalError("--answerer applies in-process only: a service answers with its own answerer")
    questions = load_questions(args.questions)
    floors = load_floors(args.floors) if args.floors is not None else None
    primary: SearchMode = args.mode
    modes: tuple[SearchMode, ...] = SEARCH_MODES if args.compare else (primary,)
    if args.distractors is not None:
        evaluations = _archive_evaluations(args, questions, modes)
    else:
        backend = open_backend(args)
        try:
            stories = story_view(args, backend)
            evaluations = [("seeds", evaluate(backend, questions, modes=modes, k=args.k, stories=stories))]
        finally:
            backend.close()
    documents: dict[str, object] = {}
    metrics: dict[str, Metrics] = {}
    for scale, evaluation in evaluations:
        comparisons = compare_modes(evaluation) if args.compare else []
        if len(evaluations) > 1:
            print(f"\n## {'seeds only' if scale == 'seeds' else 'archive scale (seeds + distractors)'}\n")
        print(render(evaluation, comparisons))
        documents[scale] = payload(evaluation, primary, comparisons)
        metrics.update(_scaled(scale, {mode: run.metrics for mode, run in evaluation.runs.items()}))
    # The last evaluation (the archive one with --distractors) is the one the other outputs describe.
    write_outputs(args, evaluation, primary, comparisons, json_document=documents if len(documents) > 1 else None)
    if args.write_floors is not None:
        command = "polysearch eval " + ("--compare" if args.compare else f"--mode {primary}") + f" -k {args.k}"
        if args.distractors is not None:
            command += f" --distractors {args.distractors}"
        if args.questions != DEFAULT_QUESTIONS:
            command += f" --questions {args.questions}"
        if args.stories is not None:
            command += f" --stories {args.stories}"
        write_floors(args.write_floors, floors_from(metrics, measured_with=f"{command} on {evaluation.backend}"))
        print(f"wrote {args.write_floors}")
    if floors is not None:
        failures = check_floors(metrics, floors)
        for failure in failures:
            print(f"FLOOR: {failure}")
        if failures:
            return 1
        print(f"all floors of {args.floors} met")
    return 0
