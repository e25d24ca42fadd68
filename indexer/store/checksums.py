"""File checksums: what the manifest records for each file, and checking a file against it."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

import numpy as np

from indexer.errors import IndexCorruptError
from indexer.models import FileEntry, Manifest
from indexer.store.segments import VECTOR_DTYPE, VECTOR_FILES


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Files up to this size are hashed while loading; larger ones (vectors, dense index, bodies,
# keyword entries: ~95 % of the bytes) may be left to ``verify_deferred``.
DEFER_CHECKSUM_BYTES = 4 << 20


def verify_files(version_dir: Path, manifest: Manifest, *, defer_large: bool) -> tuple[str, ...]:
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
            check_content(version_dir, name, entry)
    return tuple(deferred)


def check_content(version_dir: Path, name: str, entry: FileEntry) -> None:
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
