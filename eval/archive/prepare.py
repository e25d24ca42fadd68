"""Archive-scale evaluation indexes: the seeds alone and the seeds with distractors, cached in a work folder.

Both indexes live in the work folder and are rebuilt incrementally, so a second run re-encodes
nothing: the article folder is kept in step with the seeds and distractors (same bytes, same
file), and the builder reuses every unchanged article's vectors.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from eval.errors import EvalError
from indexer.build.builder import BuildOptions, BuildReport, build_index
from indexer.encoders.base import Encoder
from indexer.errors import PolysearchError
from indexer.sources.articles import iter_article_paths

log = logging.getLogger(__name__)

DEFAULT_WORK_DIR = Path("eval-work")


@dataclass(frozen=True, slots=True)
class ArchiveIndexes:
    """Where the two indexes are, and how many articles of each kind the archive holds."""

    seeds_index: Path
    archive_index: Path
    n_seeds: int
    n_distractors: int


def _listing(folder: Path, what: str) -> list[Path]:
    if not folder.is_dir():
        raise EvalError(f"{what} folder {folder} does not exist")
    paths = iter_article_paths(folder)
    if not paths:
        raise EvalError(f"{what} folder {folder} holds no .txt or .md articles")
    return paths


def sync_articles(sources: list[Path], target: Path) -> None:
    """Make ``target`` hold exactly ``sources`` (copied, untouched when the bytes already match)."""
    target.mkdir(parents=True, exist_ok=True)
    wanted = {path.name: path for path in sources}
    for stale in iter_article_paths(target):
        if stale.name not in wanted:
            stale.unlink()
    for name, source in wanted.items():
        copy = target / name
        if not copy.is_file() or copy.read_bytes() != source.read_bytes():
            shutil.copyfile(source, copy)


def _build(articles: Path, out: Path, encoder: Encoder, *, show_progress: bool) -> BuildReport:
    try:
        report = build_index(articles, out, encoder, BuildOptions(show_progress=show_progress))
    except PolysearchError as exc:
        raise EvalError(f"cannot build the evaluation index {out}: {exc}") from exc
    log.info(
        "eval_index_built",
        extra={"index": str(out), "encoded": report.encoded, "unchanged": len(report.unchanged)},
    )
    return report


def prepare(
    seeds: Path,
    distractors: Path,
    work: Path,
    encoder: Encoder,
    *,
    with_seeds_index: bool = True,
    show_progress: bool = False,
) -> ArchiveIndexes:
    """Build (or bring up to date) the seeds-only and the seeds + distractors indexes under ``work``."""
    seed_paths = _listing(seeds, "seeds")
    distractor_paths = _listing(distractors, "distractors")
    clashes = sorted({p.stem for p in seed_paths} & {p.stem for p in distractor_paths})
    if clashes:
        raise EvalError(f"distractor ids clash with seed ids: {', '.join(clashes[:5])}")
    try:
        sync_articles(seed_paths, work / "seeds-articles")
        sync_articles([*seed_paths, *distractor_paths], work / "archive-articles")
    except OSError as exc:
        raise EvalError(f"cannot prepare the work folder {work} ({exc.strerror or exc})") from exc
    if with_seeds_index:
        _build(work / "seeds-articles", work / "seeds-index", encoder, show_progress=show_progress)
    _build(work / "archive-articles", work / "archive-index", encoder, show_progress=show_progress)
    return ArchiveIndexes(
        seeds_index=work / "seeds-index",
        archive_index=work / "archive-index",
        n_seeds=len(seed_paths),
        n_distractors=len(distractor_paths),
    )
