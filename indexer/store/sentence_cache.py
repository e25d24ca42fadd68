"""Sentence vectors encoded after the build: an append-only file of fixed-size records, shared by processes.

A record is ``key (16 bytes) | vector (dimension float16) | crc32 (4 bytes)``. The key is a
BLAKE2b digest of the model's identity and the sentence text, so a vector is found again for
the same sentence in any later index version (unchanged articles keep theirs) and never for
another model. Writers append whole records under an exclusive ``flock`` and ``fsync`` before
unlocking; a writer killed mid-append leaves a torn tail, which readers ignore and the next
writer cuts off before appending, so a reader only ever sees whole records.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from indexer.store.segments import VECTOR_DTYPE

KEY_BYTES = 16
_CRC_BYTES = 4
CACHE_PREFIX = "sentence-vectors-"


def sentence_key(model: str, text: str) -> bytes:
    """The record key of ``text`` encoded by ``model`` (name, backend and dimension, as one string)."""
    return hashlib.blake2b(f"{model}\0{text}".encode(), digest_size=KEY_BYTES).digest()


def cache_path(index_dir: Path, model: str) -> Path:
    """Where ``model``'s sentence vectors for the index at ``index_dir`` live: beside its versions, not inside one."""
    tag = hashlib.blake2b(model.encode(), digest_size=6).hexdigest()
    return index_dir / f"{CACHE_PREFIX}{tag}.bin"


class SentenceCache:
    """Reads and appends the records of one cache file; each instance remembers how far it has read."""

    def __init__(self, path: Path, dimension: int) -> None:
        self.path = path
        self.dimension = dimension
        self.record_bytes = KEY_BYTES + dimension * np.dtype(VECTOR_DTYPE).itemsize + _CRC_BYTES
        self._read_to = 0

    def read_new(self) -> dict[bytes, npt.NDArray[np.float16]]:
        """Whole, intact records appended since the last call (all of them on the first)."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._read_to)
                data = handle.read()
        except FileNotFoundError:
            return {}
        whole = len(data) - len(data) % self.record_bytes
        found: dict[bytes, npt.NDArray[np.float16]] = {}
        for at in range(0, whole, self.record_bytes):
            record = data[at : at + self.record_bytes]
            body, crc = record[:-_CRC_BYTES], record[-_CRC_BYTES:]
            # A record whose checksum fails (a torn write another writer has since cut off and
            # overwritten cannot produce one, a damaged disk can) is skipped, never trusted.
            if zlib.crc32(body).to_bytes(_CRC_BYTES, "little") != crc:
                continue
            found[body[:KEY_BYTES]] = np.frombuffer(body[KEY_BYTES:], dtype=VECTOR_DTYPE).copy()
        self._read_to += whole
        return found

    def append(self, records: Iterable[tuple[bytes, npt.NDArray[np.floating]]]) -> int:
        """Append ``(key, vector)`` records durably; returns how many were written."""
        payload = bytearray()
        count = 0
        for key, vector in records:
            body = key + np.asarray(vector, dtype=VECTOR_DTYPE).reshape(self.dimension).tobytes()
            payload += body + zlib.crc32(body).to_bytes(_CRC_BYTES, "little")
            count += 1
        if not count:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            torn = size % self.record_bytes
            if torn:
                # A writer was killed mid-record: cut its partial record off, or every record
                # after it would be read out of step.
                os.ftruncate(fd, size - torn)
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock
        return count
