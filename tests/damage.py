"""Ways to damage an index on disk that its checksums alone would not catch, for repair and load tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec
import numpy as np

from indexer.models import FileEntry, Manifest
from indexer.store.layout import MANIFEST
from indexer.store.segments import EMBEDDINGS


def poison_vectors(version_dir: Path, *, value: float = float("nan")) -> None:
    """Put ``value`` into the first passage vector and re-sign the manifest, as a buggy build would."""
    path = version_dir / EMBEDDINGS
    vectors = np.load(path)
    vectors[0, :] = value
    np.save(path, vectors, allow_pickle=False)
    manifest_path = version_dir / MANIFEST
    manifest = msgspec.json.decode(manifest_path.read_bytes(), type=Manifest)
    files = dict(manifest.files)
    files[EMBEDDINGS] = FileEntry(bytes=path.stat().st_size, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    manifest_path.write_bytes(msgspec.json.encode(msgspec.structs.replace(manifest, files=files)))
