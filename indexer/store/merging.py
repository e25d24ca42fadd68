"""Merging segments after an update is live, so an update writes only what changed.

A build adds one segment and marks replaced or removed articles deleted; ``merge_once`` then
rewrites what ``indexer.store.plan.choose_merge`` picks (several small segments, or one that is
mostly deleted) as one segment, as a new version with the same content version. Readers keep
the version they hold until ``CURRENT`` moves; the service's follower then loads the merged
one. ``polysearch index`` and a one-off ``polysearch sync`` merge once their update is live;
``polysearch sync --every`` merges in a background thread at low CPU priority, between passes;
``polysearch merge`` merges on request (``--all``: down to one segment).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from indexer.errors import PolysearchError
from indexer.models import Manifest
from indexer.store.layout import TOMBSTONES, VERSION_PREFIX, live_name, live_version_dir, read_manifest
from indexer.store.loaded import LoadedIndex
from indexer.store.locking import write_lock
from indexer.store.plan import MAX_SEGMENTS, choose_merge, generation_of, merge_planned, plan_update
from indexer.store.reader import load_index, verify_deferred
from indexer.store.segments import IndexContent
from indexer.store.writer import FoundStories, VersionLayout, commit_version

log = logging.getLogger(__name__)

# Nice value of a background merge thread: queries and fetching get the cores first.
BACKGROUND_NICENESS = 10


@dataclass(frozen=True, slots=True)
class MergeReport:
    """One merge: the live version's segments before and after, and what was rewritten."""

    version: str
    folder: str
    segments_before: int
    segments_after: int
    passages: int
    bytes_written: int
    seconds: float

    def line(self) -> str:
        return (
            f"merged {self.segments_before} segments into {self.segments_after} "
            f"({self.bytes_written / 2**20:.1f} MiB written, {self.seconds:.1f} s); "
            f"version {self.version} now in {self.folder}"
        )


def _may_be_due(index_dir: Path, *, everything: bool) -> bool:
    """From the manifest and tombstones alone: ``False`` when no merge can be due (no need to load)."""
    try:
        version = live_version_dir(index_dir)
        segments = read_manifest(version).segments
        deleted = msgspec.json.decode((version / TOMBSTONES).read_bytes())
    except (PolysearchError, OSError, msgspec.DecodeError):
        return True  # loading says what is wrong
    if everything:
        return len(segments) > 1 or bool(deleted)
    return len(segments) > MAX_SEGMENTS or bool(deleted)


def _files(folder: Path) -> dict[int, int]:
    """Size of each file under ``folder`` by inode (hard links to one file count once)."""
    return {st.st_ino: st.st_size for st in (p.stat() for p in folder.rglob("*") if p.is_file())}


def merge_once(index_dir: Path, *, wait: bool = False, everything: bool = False) -> MergeReport | None:
    """Merge the live version's segments if a merge is due (``everything``: all into one); ``None`` if not.

    Without ``wait``, a build holding the index's write lock means no merge now (the next call
    tries again). Raises the loader's errors for a missing, damaged or outdated index.
    """
    if not index_dir.is_dir() or not _may_be_due(index_dir, everything=everything):
        return None
    with write_lock(index_dir, wait=wait) as held:
        if not held:
            log.info("merge_skipped", extra={"dir": str(index_dir), "reason": "a build is writing the index"})
            return None
        started = time.perf_counter()
        # Sizes only: merge_index checks the checksums once it knows a merge is due. An index of
        # another format or keyword analyser is refused as for searching (a build redoes it).
        live = load_index(index_dir, defer_checksums=True)
        before, linked = len(live.manifest.segments), _files(live.directory)
        manifest = merge_index(index_dir, live, everything=everything)
        if manifest is None:
            return None
        folder = live_version_dir(index_dir)
        written = sum(size for inode, size in _files(folder).items() if inode not in linked)
        report = MergeReport(
            version=manifest.version,
            folder=folder.name,
            segments_before=before,
            segments_after=len(manifest.segments),
            passages=manifest.counts["passages"],
            bytes_written=written,
            seconds=time.perf_counter() - started,
        )
    log.info(
        "merge_done",
        extra={"dir": str(folder), "version": report.version, "segments_before": report.segments_before,
               "segments_after": report.segments_after, "bytes_written": report.bytes_written,
               "seconds": round(report.seconds, 3)},
    )  # fmt: skip
    return report


def _lower_priority() -> None:
    """Lower this thread's CPU priority (Linux: a thread's nice value is its own); elsewhere nothing."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)


class BackgroundMerger:
    """Runs ``merge_once`` in a thread of its own, one at a time; a failure is logged, never raised."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.last: MergeReport | None = None
        self.error: str | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start a merge unless one is running; ``False`` if one was."""
        if self.running:
            return False
        self._thread = threading.Thread(target=self._run, name="polysearch-merge", daemon=True)
        self._thread.start()
        return True

    def join(self, timeout_s: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        _lower_priority()
        try:
            self.last = merge_once(self.index_dir)
            self.error = None
        except Exception as exc:  # a background job: whatever failed is logged, never a traceback
            # The live version is untouched (a merge switches CURRENT only once it is complete).
            self.error = str(exc) or type(exc).__name__
            log.warning("merge_failed", extra={"dir": str(self.index_dir), "reason": self.error})


def merge_index(index_dir: Path, live: LoadedIndex, *, everything: bool = False) -> Manifest | None:
    """Rewrite the segments ``choose_merge`` picks in ``live`` (the live version) as one; ``None`` if none.

    ``everything``: all segments, so the version holds one segment without deleted rows.

    The result holds the same articles and records, so it keeps the content version; its
    folder is named after the merged segment's generation. The caller holds the index's write
    lock (``write_lock``), so no build switches ``CURRENT`` meanwhile; a version that is no
    longer live is left alone (``None``).
    """
    if live_name(index_dir) != live.directory.name:
        log.info("merge_skipped", extra={"reason": "the version is no longer live", "dir": str(live.directory)})
        return None
    manifest = live.manifest
    hashes = dict(manifest.articles)
    plan = plan_update(IndexContent.empty(manifest.model.dimension), hashes, live, manifest.version)
    if everything:
        merging = list(range(len(plan))) if len(plan) > 1 or any(p.deleted for p in plan) else []
    else:
        merging = choose_merge([(p.live, p.stored) for p in plan])
    if not merging:
        return None
    # Loaded with deferred checksums to decide cheaply; nothing damaged may be carried into the merge.
    verify_deferred(live)
    plan = merge_planned(plan, merging, hashes, manifest.version)
    generation = max(generation_of(p.name) for p in plan)
    layout = VersionLayout(
        manifest.version,
        f"{VERSION_PREFIX}{manifest.version}.{generation:06d}",
        manifest.model,
        manifest.chunking,
        hashes,
        manifest.dense_requested,
        # The same articles: the same groups, carried over as they were found.
        FoundStories(manifest.stories, live.stories) if manifest.stories is not None else None,
    )
    return commit_version(index_dir, layout, plan, live)
