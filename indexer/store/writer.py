"""Writing a version: new segments written, kept ones hard-linked, then ``CURRENT`` switched atomically.

A build writes ``.tmp-*`` beside the live version: new and merged segments are written there,
segments it keeps are hard-linked from the live version (their bytes are not written again).
It fsyncs the folder, renames it to ``v-<version>`` and only then replaces ``CURRENT``; a crash
at any point leaves the old version live.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import logging
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from indexer.errors import BuildError, IndexCorruptError, IndexMismatchError
from indexer.models import Article, ChunkParams, FileEntry, Manifest, ModelInfo, SegmentEntry
from indexer.store.checksums import sha256_of
from indexer.store.dense import DenseKind, choose_kind
from indexer.store.held import hold, release_held
from indexer.store.layout import (
    FORMAT_VERSION,
    MANIFEST,
    SEGMENTS_DIR,
    STORIES,
    TMP_PREFIX,
    TOMBSTONES,
    VERSION_PREFIX,
    fsync_dir,
    fsync_tree,
    live_name,
    remove_old_versions,
    remove_stale_builds,
    switch_current,
)
from indexer.store.loaded import LoadedIndex
from indexer.store.locking import WRITE_LOCK
from indexer.store.plan import BUILD_MAX_SEGMENTS, PlannedSegment, choose_merge, merge_planned, plan_update
from indexer.store.reader import load_version
from indexer.store.segments import (
    KEYWORD_DIR,
    KEYWORD_FILES,
    SEGMENT_FILES,
    IndexContent,
    Segment,
    link_segment,
    write_segment,
)
from indexer.store.stories import StoryMap
from indexer.store.tables import RecordsError
from indexer.text.analysis import ANALYZER

log = logging.getLogger(__name__)


def index_version(
    model: ModelInfo,
    chunking: ChunkParams,
    article_hashes: dict[str, str],
    dense_kind: str,
    *,
    story_rules: str | None = None,
) -> str:
    """Fingerprint of everything that determines the index content: same inputs, same version.

    ``story_rules`` names the rules that grouped the stories (none: no groups written); the groups
    follow from the articles and those rules, so they need no fingerprint of their own.
    """
    fields: dict[str, object] = {
        "format": FORMAT_VERSION,
        "model": model,
        "chunking": chunking,
        "articles": article_hashes,
        "dense": dense_kind,
        "analyzer": ANALYZER,
    }
    if story_rules is not None:
        fields["stories"] = story_rules
    return hashlib.sha256(msgspec.json.encode(fields)).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class FoundStories:
    """The story groups of a version's articles and the rules that found them (``manifest.stories``)."""

    rules: str
    groups: StoryMap


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


def write_index(
    index_dir: Path,
    *,
    model: ModelInfo,
    chunking: ChunkParams,
    content: IndexContent,
    dense_kind: DenseKind | None,
    previous: LoadedIndex | None = None,
    articles: Sequence[Article] | None = None,
    go_live: bool = True,
    stories: FoundStories | None = None,
) -> Manifest:
    """Write a new version beside the live one and switch ``CURRENT`` to it.

    ``stories``: the groups written to ``stories.json`` (without: no file, every article alone).

    With ``go_live=False`` the version is written and held (``indexer.store.held``), ``CURRENT``
    left as it is, for the quality gate to promote or keep aside; a version that goes live
    supersedes a held one.

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
    version = index_version(model, chunking, hashes, requested, story_rules=stories.rules if stories else None)
    plan = plan_update(content, hashes, previous, version)
    merging = choose_merge([(p.live, p.stored) for p in plan], max_segments=BUILD_MAX_SEGMENTS, rewrite_deleted=False)
    plan = merge_planned(plan, merging, hashes, version)
    layout = VersionLayout(version, f"{VERSION_PREFIX}{version}", model, chunking, hashes, requested, stories)
    manifest = commit_version(index_dir, layout, plan, previous, go_live=go_live)
    if go_live:
        release_held(index_dir)
    return manifest


@dataclass(frozen=True, slots=True)
class VersionLayout:
    """What a new version is: its content version, folder name and the manifest fields it copies."""

    version: str
    folder: str
    model: ModelInfo
    chunking: ChunkParams
    hashes: dict[str, str]
    dense_requested: str
    stories: FoundStories | None = None


def commit_version(
    index_dir: Path,
    layout: VersionLayout,
    plan: list[PlannedSegment],
    previous: LoadedIndex | None,
    *,
    go_live: bool = True,
) -> Manifest:
    """Write ``plan`` into a staging folder, rename it to ``layout.folder`` and switch ``CURRENT`` to it
    (with ``go_live=False``: record it as held instead, ``CURRENT`` unchanged)."""
    # Rewriting the live version (a damaged copy) repairs it: there is nothing to hold back.
    go_live = go_live or live_name(index_dir) == layout.folder
    staging = index_dir / f"{TMP_PREFIX}{layout.version}-{os.getpid()}"
    staging.mkdir()
    try:
        manifest = _write_version(staging, layout, plan, previous)
        fsync_tree(staging)
        final = index_dir / layout.folder
        if final.exists():
            if live_name(index_dir) == final.name and _intact(final):
                shutil.rmtree(staging)
                return manifest
            # Not live (left by a build that died between renaming and switching), or live but
            # damaged: the fresh copy replaces it. Moved aside first, so the rename below is atomic.
            aside = index_dir / f"{TMP_PREFIX}replaced-{layout.version}-{os.getpid()}"
            final.rename(aside)
            shutil.rmtree(aside, ignore_errors=True)
        if not go_live:
            # Recorded before the rename, so no cleanup ever sees the folder as an old version.
            hold(index_dir, final.name, "awaiting the quality gate")
        staging.rename(final)
        fsync_dir(index_dir)
        if go_live:
            switch_current(index_dir, final.name)
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
    if go_live:
        remove_old_versions(index_dir, keep=final.name)
    log.info(
        "index_written" if go_live else "index_held",
        extra={"dir": str(final), "version": layout.version, "passages": manifest.counts["passages"],
               "segments": len(manifest.segments)},
    )  # fmt: skip
    return manifest


_DENSE_KINDS: dict[str, DenseKind] = {"flat": "flat", "hnsw": "hnsw"}


def _write_version(
    staging: Path, layout: VersionLayout, plan: list[PlannedSegment], previous: LoadedIndex | None
) -> Manifest:
    """Every planned segment, the tombstones and the manifest that lists their files, written into ``staging``."""
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
            old = next(e for e in previous.manifest.segments if e.name == planned.name)
            files |= _link_kept(planned.source, target, prefix, old, previous.manifest, linked, reanalyse=reanalyse)
            kind = old.dense_index
        elif planned.content is not None:
            kind = requested or choose_kind(len(planned.content.passages))
            try:
                write_segment(target, planned.content, dense_kind=kind, terms=planned.terms)
            except (RecordsError, ValueError) as exc:
                raise BuildError(f"cannot write the index: {exc}") from exc
            files |= _file_entries(target, prefix, SEGMENT_FILES)
        entries.append(SegmentEntry(name=planned.name, path=path, dense_index=kind))
    tombstones = {p.name: sorted(p.deleted) for p in plan if p.deleted}
    (staging / TOMBSTONES).write_bytes(msgspec.json.encode(tombstones))
    files |= _file_entries(staging, "", (TOMBSTONES,))
    if layout.stories is not None:
        # Only the version's own articles: a group never names an article the version lacks.
        (staging / STORIES).write_bytes(layout.stories.groups.restricted(layout.hashes).to_json())
        files |= _file_entries(staging, "", (STORIES,))
    manifest = _manifest(layout, plan, entries, files)
    (staging / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest), indent=2))
    return manifest


def _link_kept(
    source: Segment,
    target: Path,
    prefix: str,
    old: SegmentEntry,
    live: Manifest,
    linked: tuple[str, ...],
    *,
    reanalyse: bool,
) -> dict[str, FileEntry]:
    """A kept segment hard-linked into ``target``: its files' entries are the live manifest's, bytes unread.

    With ``reanalyse`` its term counts are not linked but written from the ones the new analyser made.
    """
    link_segment(source.directory, target, linked)
    old_prefix = f"{old.path}/" if old.path else ""
    files = {prefix + f: live.files[old_prefix + f] for f in linked}
    if reanalyse:
        source.terms.save(target / KEYWORD_DIR)
        files |= _file_entries(target, prefix, KEYWORD_FILES)
    return files


def _file_entries(directory: Path, prefix: str, names: Iterable[str]) -> dict[str, FileEntry]:
    """Size and checksum of each file ``names`` of ``directory``, keyed by its path in the version."""
    return {prefix + f: FileEntry(bytes=(directory / f).stat().st_size, sha256=sha256_of(directory / f)) for f in names}


def _manifest(
    layout: VersionLayout, plan: list[PlannedSegment], entries: list[SegmentEntry], files: dict[str, FileEntry]
) -> Manifest:
    counts = {
        "articles": len(layout.hashes),
        "passages": sum(p.live for p in plan),
        "sentences": sum(p.live_sentences for p in plan),
    }
    return Manifest(
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
        stories=layout.stories.rules if layout.stories is not None else None,
    )


def _intact(version_dir: Path) -> bool:
    try:
        load_version(version_dir)
    except (IndexCorruptError, IndexMismatchError) as exc:
        log.warning("damaged_version_replaced", extra={"dir": str(version_dir), "reason": str(exc)})
        return False
    return True
