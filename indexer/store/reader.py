"""Reading a version: every file checked against the manifest, the segments combined into one index.

Loading checks every file's size, and by default its checksum. ``load_version(...,
defer_checksums=True)`` (the service's cold start) hashes only the small files at once and
leaves the large ones to ``verify_deferred``, which the service runs after it is ready.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from indexer.errors import IndexCorruptError, IndexMismatchError
from indexer.store.checksums import check_content, verify_files
from indexer.store.keyword import TermCounts
from indexer.store.layout import (
    MANIFEST,
    READABLE_FORMATS,
    SEGMENTS_DIR,
    STORIES,
    TMP_PREFIX,
    TOMBSTONES,
    VERSION_PREFIX,
    HeldVersion,
    live_name,
    live_version_dir,
    read_held,
    read_manifest,
)
from indexer.store.loaded import LoadedIndex, combine
from indexer.store.segments import VECTOR_DTYPE, Segment, keyword_text, read_segment
from indexer.store.stories import StoryMap
from indexer.text.analysis import ANALYZER

log = logging.getLogger(__name__)


def load_index(index_dir: Path, *, defer_checksums: bool = False, any_analyzer: bool = False) -> LoadedIndex:
    """Load the live version, refusing anything that does not match its manifest."""
    return load_version(live_version_dir(index_dir), defer_checksums=defer_checksums, any_analyzer=any_analyzer)


def load_version(version_dir: Path, *, defer_checksums: bool = False, any_analyzer: bool = False) -> LoadedIndex:
    """Load one version directory, refusing anything that does not match its manifest.

    ``defer_checksums``: large files are checked for size only; their checksums (and finite
    vectors) are left to ``verify_deferred`` and listed in ``LoadedIndex.unverified``.
    ``any_analyzer``: accept term counts made by another keyword analyser (for a build that
    re-analyses them, never for searching).
    """
    manifest = read_manifest(version_dir)
    if manifest.format_version not in READABLE_FORMATS:
        raise IndexMismatchError(
            f"{version_dir} has index format {manifest.format_version}, "
            f"this polysearch reads {' and '.join(map(str, READABLE_FORMATS))}; "
            f"rebuild it (`polysearch index --out {version_dir.parent}`)"
        )
    if manifest.analyzer != ANALYZER and not any_analyzer:
        # Queries must be analysed exactly as the passages were, or keyword terms never meet.
        # (A build loads it anyway, with ``any_analyzer``, to keep its vectors: ``reanalysed``.)
        raise IndexMismatchError(
            f"{version_dir} has a keyword index made by analyser {manifest.analyzer!r}, "
            f"this polysearch analyses with {ANALYZER!r}; rebuild it"
        )
    unverified = verify_files(version_dir, manifest, defer_large=defer_checksums)
    if not manifest.segments:
        raise IndexCorruptError(f"{version_dir / MANIFEST} lists no segments")
    for entry in manifest.segments:
        if entry.path not in ("", f"{SEGMENTS_DIR}/{entry.name}") or "/" in entry.name or entry.name in ("", "."):
            raise IndexCorruptError(f"{version_dir / MANIFEST} names segment folder {entry.path!r} outside the version")
    try:
        tombstones = msgspec.json.decode((version_dir / TOMBSTONES).read_bytes(), type=dict[str, list[str]])
        segments = tuple(
            read_segment(
                version_dir / entry.path if entry.path else version_dir,
                entry.name,
                kind="hnsw" if entry.dense_index == "hnsw" else "flat",
            )
            for entry in manifest.segments
        )
        deleted = {name: frozenset(ids) for name, ids in tombstones.items()}
        for segment in segments:
            _check_segment(version_dir, segment, manifest.model.dimension)
        loaded = combine(version_dir, manifest, segments, deleted, unverified)
        if STORIES in manifest.files:
            # Restricted to the version's articles: a group never names one the index lacks.
            stories = StoryMap.from_json((version_dir / STORIES).read_bytes()).restricted(manifest.articles)
            loaded = dataclasses.replace(loaded, stories=stories)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RuntimeError, OSError, EOFError) as exc:
        # ValueError includes RecordsError; a damaged large file whose checksum is deferred may
        # also fail here, as anything that cannot be read.
        raise IndexCorruptError(f"{version_dir} cannot be read: {exc}") from exc
    except IndexError as exc:
        raise IndexCorruptError(f"{version_dir} cannot be read: a record points outside its file ({exc})") from exc
    _check_counts(loaded)
    return loaded


def _check_segment(version_dir: Path, segment: Segment, dimension: int) -> None:
    """A segment's files agree with each other: rows and shapes (the records checked their references)."""
    problems = []
    for name, matrix, rows in (
        ("embeddings", segment.embeddings, len(segment.passages)),
        ("sentence embeddings", segment.sentence_embeddings, len(segment.sentences)),
    ):
        if matrix.shape != (rows, dimension) or matrix.dtype != VECTOR_DTYPE:
            problems.append(f"{name} are {matrix.dtype}{list(matrix.shape)}, expected float16[{rows}, {dimension}]")
    if segment.dense.size != len(segment.passages) or segment.dense.dimension != dimension:
        held = f"{segment.dense.size}x{segment.dense.dimension}"
        problems.append(f"dense index holds {held}, expected {len(segment.passages)}x{dimension}")
    if problems:
        where = version_dir if segment.directory == version_dir else segment.directory
        raise IndexCorruptError(f"{where}: " + "; ".join(problems))


def _check_counts(index: LoadedIndex) -> None:
    counts = index.manifest.counts
    problems = []
    for name, size in (("articles", len(index.articles)), ("passages", len(index.passages)),
                       ("sentences", len(index.sentences))):  # fmt: skip
        if size != counts.get(name, -1):
            problems.append(f"{size} {name}, manifest says {counts.get(name)}")
    if problems:
        raise IndexCorruptError(f"{index.directory}: " + "; ".join(problems))


def verify_deferred(index: LoadedIndex) -> None:
    """Check the checksums ``load_version(..., defer_checksums=True)`` left; ``IndexCorruptError`` on damage."""
    for name in index.unverified:
        check_content(index.directory, name, index.manifest.files[name])


def load_for_build(index_dir: Path) -> LoadedIndex:
    """The live version as a build reuses it: its term counts re-analysed if its analyser is not today's."""
    index = load_index(index_dir, any_analyzer=True)
    if index.manifest.analyzer == ANALYZER:
        return index
    # A new keyword analyser changes the term counts only: every vector is kept, the counts redone.
    started = time.perf_counter()
    index = reanalysed(index)
    log.info(
        "keyword_reanalysed",
        extra={
            "from": index.manifest.analyzer,
            "to": ANALYZER,
            "passages": sum(len(segment.passages) for segment in index.segments),
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
    return index


def reanalysed(index: LoadedIndex) -> LoadedIndex:
    """``index`` with every segment's term counts made again by today's analyser.

    For a build over an index whose keyword analyser has changed: its records and vectors stay
    valid (the analyser touches neither), so only the term counts are redone, from the stored
    passages, instead of encoding the whole archive again.
    """
    segments = tuple(
        dataclasses.replace(segment, terms=TermCounts.of([keyword_text(p) for p in segment.passages]))
        for segment in index.segments
    )
    return dataclasses.replace(index, segments=segments)


@dataclass(frozen=True, slots=True)
class IndexHealth:
    """What ``verify_index`` found: the live version if intact, the problem if not, the litter."""

    version: str | None
    articles: int
    passages: int
    files: int
    problem: str | None
    leftovers: list[str]
    # A version the quality gate kept aside (not live, kept until promoted or superseded).
    held: HeldVersion | None = None
    # Stories the live version holds in several versions (stories.json).
    stories: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_index(index_dir: Path) -> IndexHealth:
    """Check the live version without the model: pointer, checksums, counts, finite vectors.

    ``leftovers`` lists what a killed build or an older version left behind (the next build
    removes it). ``IndexNotFoundError`` when there is no index at all.
    """
    live = live_name(index_dir) if index_dir.is_dir() else None
    held = read_held(index_dir) if index_dir.is_dir() else None
    if held is not None and not (index_dir / held.name).is_dir():
        held = None
    kept = {live, held.name if held else None}
    names = sorted(p.name for p in index_dir.iterdir()) if index_dir.is_dir() else []
    leftovers = [n for n in names if n.startswith(TMP_PREFIX) or (n.startswith(VERSION_PREFIX) and n not in kept)]
    try:
        loaded = load_index(index_dir)
    except (IndexCorruptError, IndexMismatchError) as exc:
        return IndexHealth(None, 0, 0, 0, str(exc), leftovers, held)
    return IndexHealth(
        loaded.version, len(loaded.articles), len(loaded.passages), len(loaded.manifest.files), None, leftovers, held,
        len(loaded.stories.groups()),
    )  # fmt: skip
