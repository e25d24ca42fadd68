"""The on-disk index: immutable segments, a manifest per version, written atomically and verified on load.

Layout of an index directory::

    CURRENT            name of the live version directory (replaced atomically)
    v-<version>/       manifest.json (segments, file sizes and checksums), tombstones.json
                       (articles deleted from a segment) and the largest segment's files:
                       articles.json, bodies.txt, passages.npy, sentences.npy (records as
                       columns, indexer.tables), embeddings.npy, sentence_embeddings.npy
                       (float16, memory-mapped), dense.faiss, keyword/
      segments/<name>/ the same files for each further segment (indexer.segments)

A build writes ``.tmp-*`` beside the live version: new and merged segments are written there,
segments it keeps are hard-linked from the live version (their bytes are not written again).
It fsyncs the folder, renames it to ``v-<version>`` and only then replaces ``CURRENT``; a crash
at any point leaves the old version live.

Loading checks every file's size, and by default its checksum. ``load_version(...,
defer_checksums=True)`` (the service's cold start) hashes only the small files at once and
leaves the large ones to ``verify_deferred``, which the service runs after it is ready.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import hashlib
import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from indexer.dense import DenseIndex, DenseKind, choose_kind
from indexer.errors import BuildError, IndexCorruptError, IndexMismatchError, IndexNotFoundError
from indexer.keyword import ANALYZER, KeywordIndex, SegmentTerms, TermCounts
from indexer.locking import WRITE_LOCK
from indexer.models import Article, ChunkParams, FileEntry, Manifest, ModelInfo, SegmentEntry
from indexer.segments import (
    ARTICLES,
    BODIES,
    BUILD_MAX_SEGMENTS,
    DENSE,
    EMBEDDINGS,
    KEYWORD_DIR,
    KEYWORD_FILES,
    PASSAGES,
    SEGMENT_FILES,
    SENTENCE_EMBEDDINGS,
    SENTENCES,
    VECTOR_DTYPE,
    VECTOR_FILES,
    IndexContent,
    Rows,
    Segment,
    SegmentedDense,
    SegmentedVectors,
    StoredVectors,
    article_rows,
    choose_merge,
    keyword_text,
    link_segment,
    merge_content,
    read_segment,
    write_segment,
)
from indexer.tables import ArticleSource, ArticleTable, PassageTable, RecordsError, SentenceTable

log = logging.getLogger(__name__)

__all__ = [
    "ARTICLES", "BODIES", "DENSE", "EMBEDDINGS", "KEYWORD_DIR", "PASSAGES", "SENTENCES", "SENTENCE_EMBEDDINGS",
    "VECTOR_DTYPE", "IndexContent", "keyword_text",
]  # fmt: skip

# 3: passage and sentence vectors stored as float16 (embeddings files and dense.faiss).
# 4: segments (a version lists them; keyword term counts per segment, BM25 computed on load).
# 5: records as columns and one bodies blob instead of JSON lines; keyword entries' term order.
FORMAT_VERSION = 5
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
TOMBSTONES = "tombstones.json"
SEGMENTS_DIR = "segments"
_VERSION_PREFIX = "v-"
_TMP_PREFIX = ".tmp-"


@dataclass(frozen=True, slots=True)
class LoadedIndex:
    """A verified index in memory; ``passages[i]`` is row ``i`` of both search indexes."""

    directory: Path
    manifest: Manifest
    articles: ArticleTable
    passages: PassageTable
    embeddings: StoredVectors | SegmentedVectors
    sentences: SentenceTable
    sentence_embeddings: StoredVectors | SegmentedVectors
    dense: DenseIndex | SegmentedDense
    keyword: KeywordIndex
    segments: tuple[Segment, ...] = field(default=(), repr=False)
    # Per segment name, the articles deleted from it (replaced or removed since it was written).
    tombstones: dict[str, frozenset[str]] = field(default_factory=dict)
    # Files whose sizes were checked but whose checksums are still to be (``verify_deferred``).
    unverified: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        return self.manifest.version


def index_version(model: ModelInfo, chunking: ChunkParams, article_hashes: dict[str, str], dense_kind: str) -> str:
    """Fingerprint of everything that determines the index content: same inputs, same version."""
    payload = msgspec.json.encode(
        {
            "format": FORMAT_VERSION,
            "model": model,
            "chunking": chunking,
            "articles": article_hashes,
            "dense": dense_kind,
            "analyzer": ANALYZER,
        }
    )
    return hashlib.sha256(payload).hexdigest()[:16]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with path.open("rb+") as handle:
                os.fsync(handle.fileno())
    for directory in sorted({p.parent for p in root.rglob("*")} | {root}):
        _fsync_dir(directory)


# Below this many free bytes a failed write is taken to be a full disk, whatever the library said.
_NEARLY_FULL_BYTES = 1 << 20


def _write_failure(exc: OSError | RuntimeError, index_dir: Path) -> OSError | BuildError:
    """The error a failed write should end the build with: one plain sentence, never a library's internals.

    numpy reports a full disk as an OSError without errno ("6592 requested and 2016 written") and
    faiss as a RuntimeError; both become ``ENOSPC`` naming the index directory.
    """
    if isinstance(exc, OSError) and exc.errno is not None and exc.errno != errno.ENOSPC:
        return exc
    try:
        nearly_full = shutil.disk_usage(index_dir).free < _NEARLY_FULL_BYTES
    except OSError:
        nearly_full = False
    if nearly_full or "No space left" in str(exc) or (isinstance(exc, OSError) and exc.errno == errno.ENOSPC):
        return OSError(errno.ENOSPC, "No space left on device; the previous index is untouched", str(index_dir))
    if isinstance(exc, OSError):
        return exc
    return BuildError(f"writing the index failed ({str(exc).splitlines()[0][-200:]}); the previous index is untouched")


def live_version_dir(index_dir: Path) -> Path:
    """The directory ``CURRENT`` points at; ``IndexNotFoundError`` when there is none.

    A ``CURRENT`` that is empty, not UTF-8, or names no version directory is ``IndexCorruptError``
    with one sentence: the next build replaces it.
    """
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        raise IndexNotFoundError(f"no index at {index_dir} (run `polysearch index` first)")
    try:
        name = pointer.read_bytes().decode("utf-8").strip()
    except UnicodeDecodeError:
        raise IndexCorruptError(f"{pointer} is not UTF-8 text; run `polysearch index` to rebuild") from None
    except OSError as exc:
        raise IndexCorruptError(f"{pointer} cannot be read ({exc.strerror}); run `polysearch index`") from None
    if not name:
        raise IndexCorruptError(f"{pointer} is empty; run `polysearch index` to rebuild")
    if not name.startswith(_VERSION_PREFIX) or "/" in name or "\\" in name or name in (".", ".."):
        raise IndexCorruptError(f"{pointer} names {name!r}, which is not a version directory")
    if not (index_dir / name).is_dir():
        raise IndexCorruptError(f"{pointer} names {name!r}, which does not exist; run `polysearch index` to rebuild")
    return index_dir / name


def write_index(
    index_dir: Path,
    *,
    model: ModelInfo,
    chunking: ChunkParams,
    content: IndexContent,
    dense_kind: DenseKind | None,
    previous: LoadedIndex | None = None,
    articles: Sequence[Article] | None = None,
) -> Manifest:
    """Write a new version beside the live one and switch ``CURRENT`` to it.

    Without ``previous``, ``content`` is the whole index (one segment). With it, ``content``
    holds the new and changed articles only, ``articles`` all of them in row order: the
    previous version's segments are kept (hard links) with replaced or removed articles
    marked deleted and ``content`` becomes a new segment. Merging is left to ``merge_index``
    (run after the update is live), unless the version would hold more than
    ``BUILD_MAX_SEGMENTS`` segments. ``dense_kind`` forces the dense index of written
    segments; ``None`` chooses by size.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    # Made with the first version, so an up-to-date build's lock later changes nothing on disk.
    (index_dir / WRITE_LOCK).open("ab").close()
    remove_stale_builds(index_dir)
    order = list(articles) if articles is not None else list(content.articles)
    hashes = {article.id: article.content_hash for article in order}
    requested = dense_kind or "auto"
    version = index_version(model, chunking, hashes, requested)
    plan = _plan_update(content, hashes, previous, version)
    merging = choose_merge([(p.live, p.stored) for p in plan], max_segments=BUILD_MAX_SEGMENTS, rewrite_deleted=False)
    plan = _merge_planned(plan, merging, hashes, version)
    layout = _Layout(version, f"{_VERSION_PREFIX}{version}", model, chunking, hashes, requested)
    return _commit(index_dir, layout, plan, previous)


def merge_index(index_dir: Path, live: LoadedIndex, *, everything: bool = False) -> Manifest | None:
    """Rewrite the segments ``choose_merge`` picks in ``live`` (the live version) as one; ``None`` if none.

    ``everything``: all segments, so the version holds one segment without deleted rows.

    The result holds the same articles and records, so it keeps the content version; its
    folder is named after the merged segment's generation. The caller holds the index's write
    lock (``write_lock``), so no build switches ``CURRENT`` meanwhile; a version that is no
    longer live is left alone (``None``).
    """
    if _live_name(index_dir) != live.directory.name:
        log.info("merge_skipped", extra={"reason": "the version is no longer live", "dir": str(live.directory)})
        return None
    manifest = live.manifest
    hashes = dict(manifest.articles)
    plan = _plan_update(IndexContent.empty(manifest.model.dimension), hashes, live, manifest.version)
    if everything:
        merging = list(range(len(plan))) if len(plan) > 1 or any(p.deleted for p in plan) else []
    else:
        merging = choose_merge([(p.live, p.stored) for p in plan])
    if not merging:
        return None
    # Loaded with deferred checksums to decide cheaply; nothing damaged may be carried into the merge.
    verify_deferred(live)
    plan = _merge_planned(plan, merging, hashes, manifest.version)
    generation = max(_generation(p.name) for p in plan)
    layout = _Layout(
        manifest.version,
        f"{_VERSION_PREFIX}{manifest.version}.{generation:06d}",
        manifest.model,
        manifest.chunking,
        hashes,
        manifest.dense_requested,
    )
    return _commit(index_dir, layout, plan, live)


@dataclass(frozen=True, slots=True)
class _Layout:
    """What a new version is: its content version, folder name and the manifest fields it copies."""

    version: str
    folder: str
    model: ModelInfo
    chunking: ChunkParams
    hashes: dict[str, str]
    dense_requested: str


def _commit(index_dir: Path, layout: _Layout, plan: list[_Planned], previous: LoadedIndex | None) -> Manifest:
    """Write ``plan`` into a staging folder, rename it to ``layout.folder`` and switch ``CURRENT`` to it."""
    staging = index_dir / f"{_TMP_PREFIX}{layout.version}-{os.getpid()}"
    staging.mkdir()
    try:
        manifest = _write_version(staging, layout, plan, previous)
        _fsync_tree(staging)
        final = index_dir / layout.folder
        if final.exists():
            if _live_name(index_dir) == final.name and _intact(final):
                shutil.rmtree(staging)
                return manifest
            # Not live (left by a build that died between renaming and switching), or live but
            # damaged: the fresh copy replaces it. Moved aside first, so the rename below is atomic.
            aside = index_dir / f"{_TMP_PREFIX}replaced-{layout.version}-{os.getpid()}"
            final.rename(aside)
            shutil.rmtree(aside, ignore_errors=True)
        staging.rename(final)
        _fsync_dir(index_dir)
        _switch_current(index_dir, final.name)
    except (OSError, RuntimeError) as exc:
        # Measured before the staging copy is removed: afterwards the disk has room again.
        failure = _write_failure(exc, index_dir)
        shutil.rmtree(staging, ignore_errors=True)
        if failure is exc:
            raise
        raise failure from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove_old_versions(index_dir, keep=final.name)
    log.info(
        "index_written",
        extra={"dir": str(final), "version": layout.version, "passages": manifest.counts["passages"],
               "segments": len(manifest.segments)},
    )  # fmt: skip
    return manifest


@dataclass(slots=True)
class _Planned:
    """A segment of the version being written: taken over from ``source`` or written from ``content``."""

    name: str
    live: int
    stored: int
    live_sentences: int
    source: Segment | None = None
    content: IndexContent | None = None
    terms: TermCounts | None = None
    deleted: frozenset[str] = frozenset()


def _plan_update(
    content: IndexContent, hashes: dict[str, str], previous: LoadedIndex | None, version: str
) -> list[_Planned]:
    """The segments of the new version before any merge: kept ones with their deletions, then the new one."""
    fresh = {a.id for a in content.articles}
    planned: list[_Planned] = []
    generation = 0
    for segment in previous.segments if previous is not None else ():
        generation = max(generation, _generation(segment.name))
        dead = set(previous.tombstones.get(segment.name, ())) if previous is not None else set()
        metas = segment.records.metas
        dead |= {m.id for m in metas if m.id in fresh or hashes.get(m.id) != m.content_hash}
        if len(dead) < len(metas):
            dead_codes = np.array([i for i, m in enumerate(metas) if m.id in dead], dtype=np.int32)
            live = int((~np.isin(segment.records.passage_article, dead_codes)).sum())
            sentences = int((~np.isin(segment.records.sentence_article, dead_codes)).sum())
            planned.append(
                _Planned(segment.name, live, len(segment.passages), sentences, source=segment, deleted=frozenset(dead))
            )
    if content.articles:
        generation += 1
        name = f"{generation:06d}-{version[:8]}"
        size = len(content.passages)
        planned.append(_Planned(name, size, size, len(content.sentences), content=content))
    return _largest_first(planned)


def _merge_planned(
    planned: list[_Planned], merging: Sequence[int], hashes: dict[str, str], version: str
) -> list[_Planned]:
    """``planned`` with the segments at ``merging`` replaced by one segment of their live records."""
    if not merging:
        return planned
    sources = [planned[i].source or planned[i].content for i in merging]
    merged, terms = merge_content(
        list(hashes), [s for s in sources if s is not None], [planned[i].deleted for i in merging]
    )
    generation = max(_generation(p.name) for p in planned) + 1
    name = f"{generation:06d}-{version[:8]}"
    merged_away = set(merging)
    kept = [p for i, p in enumerate(planned) if i not in merged_away]
    size = len(merged.passages)
    return _largest_first([*kept, _Planned(name, size, size, len(merged.sentences), content=merged, terms=terms)])


def _largest_first(planned: list[_Planned]) -> list[_Planned]:
    # The largest segment lives in the version folder itself, the rest in segments/<name>/.
    return sorted(planned, key=lambda p: (-p.live, p.name))


def _generation(name: str) -> int:
    head = name.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


_DENSE_KINDS: dict[str, DenseKind] = {"flat": "flat", "hnsw": "hnsw"}


def _write_version(staging: Path, layout: _Layout, plan: list[_Planned], previous: LoadedIndex | None) -> Manifest:
    files: dict[str, FileEntry] = {}
    entries: list[SegmentEntry] = []
    requested = _DENSE_KINDS.get(layout.dense_requested)  # None: "auto", chosen by each segment's size
    # Kept segments link their records and vectors; term counts from another analyser are written
    # anew from the ones ``reanalysed`` made (the vectors do not depend on the analyser).
    reanalyse = previous is not None and previous.manifest.analyzer != ANALYZER
    linked = tuple(f for f in SEGMENT_FILES if not (reanalyse and f in KEYWORD_FILES))
    for position, planned in enumerate(plan):
        path = "" if position == 0 else f"{SEGMENTS_DIR}/{planned.name}"
        target = staging / path if path else staging
        prefix = f"{path}/" if path else ""
        if planned.source is not None and previous is not None:
            link_segment(planned.source.directory, target, linked)
            old = next(e for e in previous.manifest.segments if e.name == planned.name)
            old_prefix = f"{old.path}/" if old.path else ""
            files |= {prefix + f: previous.manifest.files[old_prefix + f] for f in linked}
            if reanalyse:
                planned.source.terms.save(target / KEYWORD_DIR)
                files |= {prefix + f: FileEntry(bytes=(target / f).stat().st_size, sha256=_sha256(target / f))
                          for f in KEYWORD_FILES}  # fmt: skip
            kind = old.dense_index
        elif planned.content is not None:
            kind = requested or choose_kind(len(planned.content.passages))
            try:
                write_segment(target, planned.content, dense_kind=kind, terms=planned.terms)
            except (RecordsError, ValueError) as exc:
                raise BuildError(f"cannot write the index: {exc}") from exc
            files |= {prefix + f: FileEntry(bytes=(target / f).stat().st_size, sha256=_sha256(target / f))
                      for f in SEGMENT_FILES}  # fmt: skip
        entries.append(SegmentEntry(name=planned.name, path=path, dense_index=kind))
    tombstones = {p.name: sorted(p.deleted) for p in plan if p.deleted}
    (staging / TOMBSTONES).write_bytes(msgspec.json.encode(tombstones))
    files[TOMBSTONES] = FileEntry(bytes=(staging / TOMBSTONES).stat().st_size, sha256=_sha256(staging / TOMBSTONES))
    counts = {
        "articles": len(layout.hashes),
        "passages": sum(p.live for p in plan),
        "sentences": sum(p.live_sentences for p in plan),
    }
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        version=layout.version,
        built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        model=layout.model,
        chunking=layout.chunking,
        dense_index="hnsw" if any(e.dense_index == "hnsw" for e in entries) else "flat",
        counts={**counts, "dimension": layout.model.dimension},
        articles=dict(layout.hashes),
        files=dict(sorted(files.items())),
        analyzer=ANALYZER,
        segments=entries,
        dense_requested=layout.dense_requested,
    )
    (staging / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest), indent=2))
    return manifest


def _live_name(index_dir: Path) -> str | None:
    pointer = index_dir / CURRENT
    # Undecodable bytes cannot name a version; a build then simply replaces the pointer.
    return pointer.read_bytes().decode("utf-8", "replace").strip() if pointer.is_file() else None


def _intact(version_dir: Path) -> bool:
    try:
        load_version(version_dir)
    except (IndexCorruptError, IndexMismatchError) as exc:
        log.warning("damaged_version_replaced", extra={"dir": str(version_dir), "reason": str(exc)})
        return False
    return True


def _switch_current(index_dir: Path, name: str) -> None:
    tmp = index_dir / f"{_TMP_PREFIX}{CURRENT}-{os.getpid()}"
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)


def remove_stale_builds(index_dir: Path) -> None:
    """Delete staging leftovers of builds that were killed before they finished."""
    for path in index_dir.glob(f"{_TMP_PREFIX}*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def remove_leftovers(index_dir: Path) -> None:
    """Staging copies and versions other than the live one, left by builds killed before cleaning up.

    Run by a build even when it finds the index up to date: a build killed after switching
    ``CURRENT`` but before removing the old version leaves the right index and an old folder.
    """
    live = _live_name(index_dir)
    remove_stale_builds(index_dir)
    if live is not None and (index_dir / live).is_dir():
        _remove_old_versions(index_dir, keep=live)


def _remove_old_versions(index_dir: Path, *, keep: str) -> None:
    # A running service holds its index in memory, so older directories are safe to drop.
    for path in index_dir.glob(f"{_VERSION_PREFIX}*"):
        if path.is_dir() and path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


def read_manifest(version_dir: Path) -> Manifest:
    path = version_dir / MANIFEST
    try:
        return msgspec.json.decode(path.read_bytes(), type=Manifest)
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"{path} is missing") from exc
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        # A flipped byte can make the file invalid UTF-8, which msgspec reports as UnicodeDecodeError.
        raise IndexCorruptError(f"{path} is not a valid manifest: {exc}") from exc
    except OSError as exc:
        raise IndexCorruptError(f"{path} cannot be read ({exc.strerror})") from exc


# Files up to this size are hashed while loading; larger ones (vectors, dense index, bodies,
# keyword entries: ~95 % of the bytes) may be left to ``verify_deferred``.
DEFER_CHECKSUM_BYTES = 4 << 20


def _verify_files(version_dir: Path, manifest: Manifest, *, defer_large: bool) -> tuple[str, ...]:
    """Every file exists with its size; checksums of all (or of the small ones): the deferred names."""
    deferred = []
    for name, entry in manifest.files.items():
        path = version_dir / name
        if not path.is_file():
            raise IndexCorruptError(f"{path} is missing")
        size = path.stat().st_size
        if size != entry.bytes:
            raise IndexCorruptError(f"{path} has {size} bytes, the manifest says {entry.bytes} (truncated?)")
        if defer_large and entry.bytes > DEFER_CHECKSUM_BYTES:
            deferred.append(name)
        else:
            _check_content(version_dir, name, entry)
    return tuple(deferred)


def _check_content(version_dir: Path, name: str, entry: FileEntry) -> None:
    """The file matches its checksum; a vector file also holds finite values only."""
    path = version_dir / name
    vectors = PurePosixPath(name).name in VECTOR_FILES
    try:
        digest, finite = _hash_and_scan(path, vectors=vectors)
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} cannot be read ({exc})") from exc
    if digest != entry.sha256:
        raise IndexCorruptError(f"{path} does not match its checksum in the manifest (corrupt)")
    if not finite:
        # The writer refuses non-finite vectors; this catches a file re-signed by a buggy build:
        # a NaN row scores NaN against every query, so answers silently disappear.
        raise IndexCorruptError(f"{path}: embeddings contain non-finite values (NaN or infinity)")


_BLOCK_BYTES = 1 << 20


def _hash_and_scan(path: Path, *, vectors: bool) -> tuple[str, bool]:
    """sha256 of the file and, for a float16 ``.npy`` matrix, whether every value is finite: one read.

    Read with ``read(2)``, not through a map, so checking never makes the file resident in this
    process (a map would count every page it touched as its memory).
    """
    digest = hashlib.sha256()
    finite = True
    with path.open("rb") as handle:
        start = 0
        if vectors:
            major, _ = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            _, _, dtype = read_header(handle)
            start = handle.tell()
            if np.dtype(dtype) != np.dtype(VECTOR_DTYPE):
                vectors = False  # the shape check on load reports it
            handle.seek(0)
        position = 0
        for block in iter(lambda: handle.read(_BLOCK_BYTES), b""):
            digest.update(block)
            if vectors and finite:
                # The data starts at a multiple of 64 bytes and blocks are 1 MiB: values never straddle.
                data = block[max(start - position, 0) :]
                values = np.frombuffer(data[: len(data) // 2 * 2], dtype=VECTOR_DTYPE)
                finite = bool(np.isfinite(values).all())
            position += len(block)
    return digest.hexdigest(), finite


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


def verify_deferred(index: LoadedIndex) -> None:
    """Check the checksums ``load_version(..., defer_checksums=True)`` left; ``IndexCorruptError`` on damage."""
    for name in index.unverified:
        _check_content(index.directory, name, index.manifest.files[name])


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
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{version_dir} has index format {manifest.format_version}, "
            f"this polysearch reads {FORMAT_VERSION}; rebuild it (`polysearch index --out {version_dir.parent}`)"
        )
    if manifest.analyzer != ANALYZER and not any_analyzer:
        # Queries must be analysed exactly as the passages were, or keyword terms never meet.
        # (A build loads it anyway, with ``any_analyzer``, to keep its vectors: ``reanalysed``.)
        raise IndexMismatchError(
            f"{version_dir} has a keyword index made by analyser {manifest.analyzer!r}, "
            f"this polysearch analyses with {ANALYZER!r}; rebuild it"
        )
    unverified = _verify_files(version_dir, manifest, defer_large=defer_checksums)
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
        loaded = _combine(version_dir, manifest, segments, deleted, unverified)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RuntimeError, OSError, EOFError) as exc:
        # ValueError includes RecordsError; a damaged large file whose checksum is deferred may
        # also fail here, as anything that cannot be read.
        raise IndexCorruptError(f"{version_dir} cannot be read: {exc}") from exc
    except IndexError as exc:
        raise IndexCorruptError(f"{version_dir} cannot be read: a record points outside its file ({exc})") from exc
    _check_counts(loaded)
    return loaded


def _gather(columns: list[npt.NDArray[Any]], part: Rows, local: Rows) -> npt.NDArray[Any]:
    """Row ``i`` is ``columns[part[i]][local[i]]``: one column of the index from the segments' columns."""
    if len(columns) == 1:
        return columns[0][local]
    out = np.empty(len(part), dtype=columns[0].dtype)
    for index, column in enumerate(columns):
        chosen = part == index
        out[chosen] = column[local[chosen]]
    return out


def _combine(
    version_dir: Path,
    manifest: Manifest,
    segments: tuple[Segment, ...],
    deleted: dict[str, frozenset[str]],
    unverified: tuple[str, ...],
) -> LoadedIndex:
    """The live records of all segments as one index, rows in the manifest's article order.

    That order is the order a build was given its articles in, so an index grown by segments
    has the same rows, and therefore the same rankings and tie-breaks, as one built at once.
    Everything per row is numpy columns gathered from the segments' columns.
    """
    where: dict[str, int] = {}
    for index, segment in enumerate(segments):
        dead = deleted.get(segment.name, frozenset())
        for article_id in segment.articles.ids:
            if article_id in dead:
                continue
            if article_id in where:
                raise IndexCorruptError(f"{version_dir}: article {article_id!r} is live in two segments")
            where[article_id] = index
    if where.keys() != manifest.articles.keys():
        raise IndexCorruptError(f"{version_dir}: the segments' live articles are not the manifest's articles")
    order = list(manifest.articles)
    article_part = np.array([where[a] for a in order], dtype=np.int32)
    article_local = np.array([segments[where[a]].articles.code(a) for a in order], dtype=np.int32)
    articles = ArticleTable(ArticleSource(order, article_part, article_local, [s.records for s in segments]))
    # Per segment, its articles' codes in the index (-1: deleted).
    code_of = []
    for index, segment in enumerate(segments):
        codes = np.full(len(segment.articles), -1, dtype=np.int32)
        chosen = article_part == index
        codes[article_local[chosen]] = np.flatnonzero(chosen).astype(np.int32)
        code_of.append(codes)
    gathered = article_rows(order, where, segments)
    part, local = gathered.passage_part, gathered.passage_local
    s_part, s_local = gathered.sentence_part, gathered.sentence_local
    records = [s.records for s in segments]
    langs: list[str] = sorted({name for r in records for name in r.langs})
    # Local language code -> index code, shifted by one so that -1 (unknown) stays -1.
    lang_maps = [np.array([-1, *(langs.index(n) for n in r.langs)], dtype=np.int16) for r in records]
    passage_lang = _gather([m[r.passage_lang + 1] for m, r in zip(lang_maps, records, strict=True)], part, local)
    passages = PassageTable(
        articles,
        _gather([c[r.passage_article] for c, r in zip(code_of, records, strict=True)], part, local),
        _gather([r.passage_ordinal for r in records], part, local),
        _gather([r.passage_start for r in records], part, local),
        _gather([r.passage_end for r in records], part, local),
        _gather([r.passage_tokens for r in records], part, local),
        passage_lang,
        langs,
    )
    sentences = SentenceTable(
        articles,
        _gather([c[r.sentence_article] for c, r in zip(code_of, records, strict=True)], s_part, s_local),
        _gather([r.sentence_start for r in records], s_part, s_local),
        _gather([r.sentence_end for r in records], s_part, s_local),
    )
    dimension = manifest.model.dimension
    pieces = []
    for index, segment in enumerate(segments):
        chosen = np.flatnonzero(part == index)
        by_local = np.argsort(local[chosen], kind="stable")
        pieces.append(SegmentTerms(segment.terms, local[chosen][by_local], chosen[by_local]))
    keyword = KeywordIndex.from_coded(pieces, passage_lang.astype(np.int64) + 1, [None, *langs])
    only = segments[0] if len(segments) == 1 else None
    if (
        only is not None
        and len(passages) == len(only.passages)
        and len(sentences) == len(only.sentences)
        and np.array_equal(local, np.arange(len(local)))
        and np.array_equal(s_local, np.arange(len(s_local)))
    ):
        # One segment holding exactly the index in order (a fresh or fully merged build): its
        # memory maps and dense index serve directly.
        embeddings: StoredVectors | SegmentedVectors = only.embeddings
        sentence_embeddings: StoredVectors | SegmentedVectors = only.sentence_embeddings
        dense: DenseIndex | SegmentedDense = only.dense
    else:
        embeddings = SegmentedVectors([s.embeddings for s in segments], part, local, dimension)
        sentence_embeddings = SegmentedVectors([s.sentence_embeddings for s in segments], s_part, s_local, dimension)
        dense = SegmentedDense(
            [s.dense for s in segments], [p.rows for p in pieces], [p.global_rows for p in pieces], len(passages)
        )
    return LoadedIndex(
        version_dir, manifest, articles, passages, embeddings, sentences, sentence_embeddings, dense, keyword,
        segments, deleted, unverified,
    )  # fmt: skip


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


@dataclass(frozen=True, slots=True)
class IndexHealth:
    """What ``verify_index`` found: the live version if intact, the problem if not, the litter."""

    version: str | None
    articles: int
    passages: int
    files: int
    problem: str | None
    leftovers: list[str]

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_index(index_dir: Path) -> IndexHealth:
    """Check the live version without the model: pointer, checksums, counts, finite vectors.

    ``leftovers`` lists what a killed build or an older version left behind (the next build
    removes it). ``IndexNotFoundError`` when there is no index at all.
    """
    live = _live_name(index_dir) if index_dir.is_dir() else None
    names = sorted(p.name for p in index_dir.iterdir()) if index_dir.is_dir() else []
    leftovers = [n for n in names if n.startswith(_TMP_PREFIX) or (n.startswith(_VERSION_PREFIX) and n != live)]
    try:
        loaded = load_index(index_dir)
    except (IndexCorruptError, IndexMismatchError) as exc:
        return IndexHealth(None, 0, 0, 0, str(exc), leftovers)
    return IndexHealth(
        loaded.version, len(loaded.articles), len(loaded.passages), len(loaded.manifest.files), None, leftovers
    )
