"""Versions the quality gate keeps aside: written beside the live one, not live, until promoted or superseded.

``held.json`` names the one held version and why it was held; ``gate.json`` counts every version
the gate has kept aside, so the service can report it (``polysearch_gate_rejections_total``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec

from indexer.errors import BuildError, IndexCorruptError, IndexMismatchError, IndexNotFoundError
from indexer.store.layout import (
    HELD,
    TMP_PREFIX,
    VERSION_PREFIX,
    HeldVersion,
    fsync_dir,
    live_name,
    read_held,
    remove_old_versions,
    switch_current,
)
from indexer.store.locking import write_lock
from indexer.store.reader import load_version

GATE_COUNTS = "gate.json"


class GateCounts(msgspec.Struct, frozen=True, kw_only=True):
    rejections: int = 0


def _write_atomic(index_dir: Path, name: str, data: bytes) -> None:
    tmp = index_dir / f"{TMP_PREFIX}{name}-{os.getpid()}"
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / name)
    fsync_dir(index_dir)


def hold(index_dir: Path, name: str, reason: str) -> None:
    """Record ``name`` (a version folder) as held for ``reason``; an earlier held version is dropped."""
    earlier = read_held(index_dir)
    _write_atomic(index_dir, HELD, msgspec.json.encode(HeldVersion(name=name, reason=reason)))
    if earlier is not None and earlier.name not in (name, live_name(index_dir)):
        shutil.rmtree(index_dir / earlier.name, ignore_errors=True)


def release_held(index_dir: Path) -> None:
    """Forget the held version (a newer one went live): its record, and its folder unless it is live."""
    held = read_held(index_dir)
    (index_dir / HELD).unlink(missing_ok=True)
    if held is not None and held.name != live_name(index_dir) and held.name.startswith(VERSION_PREFIX):
        shutil.rmtree(index_dir / held.name, ignore_errors=True)


def promote(index_dir: Path, version: str) -> str:
    """Make the held ``version`` (``v-<id>`` or ``<id>``) live; returns its folder name.

    Only the version the gate holds may be promoted, and only if it loads and its checksums match.
    """
    name = version if version.startswith(VERSION_PREFIX) else f"{VERSION_PREFIX}{version}"
    if not index_dir.is_dir():
        raise IndexNotFoundError(f"no index at {index_dir}")
    with write_lock(index_dir, wait=True):
        held = read_held(index_dir)
        if held is None or held.name != name:
            holding = f"it holds {held.name}" if held is not None else "it holds none"
            raise BuildError(f"{name} is not held by the quality gate in {index_dir} ({holding})")
        try:
            load_version(index_dir / name)
        except (IndexCorruptError, IndexMismatchError) as exc:
            raise BuildError(f"{name} cannot be promoted: {exc}") from None
        switch_current(index_dir, name)
        (index_dir / HELD).unlink(missing_ok=True)
        remove_old_versions(index_dir, keep=name)
    return name


def gate_rejections(index_dir: Path) -> int:
    """How many versions the quality gate has kept aside in ``index_dir`` (0 when it never has)."""
    try:
        return msgspec.json.decode((index_dir / GATE_COUNTS).read_bytes(), type=GateCounts).rejections
    except (OSError, msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        return 0


def count_rejection(index_dir: Path) -> int:
    """Add one to the rejection count; returns the new count."""
    total = gate_rejections(index_dir) + 1
    _write_atomic(index_dir, GATE_COUNTS, msgspec.json.encode(GateCounts(rejections=total)))
    return total
