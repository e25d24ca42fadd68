"""The index folder: ``CURRENT``, version folders and their manifests, staging leftovers.

Layout of an index directory::

    CURRENT            name of the live version directory (replaced atomically)
    v-<version>/       manifest.json (segments, file sizes and checksums), tombstones.json
                       (articles deleted from a segment) and the largest segment's files:
                       articles.json, bodies.txt, passages.npy, sentences.npy (records as
                       columns, indexer.store.tables), embeddings.npy, sentence_embeddings.npy
                       (float16, memory-mapped), dense.faiss, keyword/, stories.json (which
                       articles are versions of one story, indexer.store.stories)
      segments/<name>/ the same files for each further segment (indexer.store.segments)
    write.lock         held by the one writer (indexer.store.locking)
    held.json          a version the quality gate kept aside, and why (indexer.store.held)
    gate.json          how many versions the quality gate has kept aside
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec

from indexer.errors import IndexCorruptError, IndexNotFoundError
from indexer.models import Manifest

# 3: passage and sentence vectors stored as float16 (embeddings files and dense.faiss).
# 4: segments (a version lists them; keyword term counts per segment, BM25 computed on load).
# 5: records as columns and one bodies blob instead of JSON lines; keyword entries' term order.
# 6: sentence vectors may be all-zero rows, encoded on first use (indexer.search.sentence_vectors).
FORMAT_VERSION = 6
# Versions this polysearch reads: 5 stores every sentence vector; 6 may leave them for the first search.
READABLE_FORMATS = (5, 6)
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
TOMBSTONES = "tombstones.json"
STORIES = "stories.json"
SEGMENTS_DIR = "segments"
VERSION_PREFIX = "v-"
HELD = "held.json"
TMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with path.open("rb+") as handle:
                os.fsync(handle.fileno())
    for directory in sorted({p.parent for p in root.rglob("*")} | {root}):
        fsync_dir(directory)


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
    if not name.startswith(VERSION_PREFIX) or "/" in name or "\\" in name or name in (".", ".."):
        raise IndexCorruptError(f"{pointer} names {name!r}, which is not a version directory")
    if not (index_dir / name).is_dir():
        raise IndexCorruptError(f"{pointer} names {name!r}, which does not exist; run `polysearch index` to rebuild")
    return index_dir / name


def live_name(index_dir: Path) -> str | None:
    pointer = index_dir / CURRENT
    # Undecodable bytes cannot name a version; a build then simply replaces the pointer.
    return pointer.read_bytes().decode("utf-8", "replace").strip() if pointer.is_file() else None


def switch_current(index_dir: Path, name: str) -> None:
    tmp = index_dir / f"{TMP_PREFIX}{CURRENT}-{os.getpid()}"
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / CURRENT)
    fsync_dir(index_dir)


def remove_stale_builds(index_dir: Path) -> None:
    """Delete staging leftovers of builds that were killed before they finished."""
    for path in index_dir.glob(f"{TMP_PREFIX}*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def remove_leftovers(index_dir: Path) -> None:
    """Staging copies and versions other than the live one, left by builds killed before cleaning up.

    Run by a build even when it finds the index up to date: a build killed after switching
    ``CURRENT`` but before removing the old version leaves the right index and an old folder.
    """
    live = live_name(index_dir)
    remove_stale_builds(index_dir)
    if live is not None and (index_dir / live).is_dir():
        remove_old_versions(index_dir, keep=live)


def remove_old_versions(index_dir: Path, *, keep: str) -> None:
    # A running service holds its index in memory, so older directories are safe to drop; a
    # version the quality gate holds stays until it is promoted or a newer build supersedes it.
    kept = {keep, held_name(index_dir)}
    for path in index_dir.glob(f"{VERSION_PREFIX}*"):
        if path.is_dir() and path.name not in kept:
            shutil.rmtree(path, ignore_errors=True)


class HeldVersion(msgspec.Struct, frozen=True, kw_only=True):
    """A version written but not made live, because the quality gate found it worse (``reason``)."""

    name: str
    reason: str


def read_held(index_dir: Path) -> HeldVersion | None:
    """The held version's record; ``None`` when there is none or the record is unreadable."""
    try:
        return msgspec.json.decode((index_dir / HELD).read_bytes(), type=HeldVersion)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        return None


def held_name(index_dir: Path) -> str | None:
    held = read_held(index_dir)
    return held.name if held is not None else None


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
