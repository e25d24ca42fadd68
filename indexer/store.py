"""The on-disk index: plain files plus a manifest, written atomically and verified on load.

Layout of an index directory::

    CURRENT            name of the live version directory (replaced atomically)
    v-<version>/       manifest.json, articles.jsonl, passages.jsonl, embeddings.npy,
                       dense.faiss, keyword/ (bm25s files), sentences.jsonl,
                       sentence_embeddings.npy (vectors as float16, memory-mapped on load)

A build writes ``.tmp-*`` beside the live version, fsyncs it, renames it to ``v-<version>``
and only then replaces ``CURRENT``; a crash at any point leaves the old version live.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import msgspec
import numpy as np
import numpy.typing as npt

from indexer.dense import DenseIndex, DenseKind
from indexer.encoder import Vectors
from indexer.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from indexer.keyword import KeywordIndex
from indexer.models import Article, ChunkParams, FileEntry, Manifest, ModelInfo, Passage, Sentence

log = logging.getLogger(__name__)
RecordT = TypeVar("RecordT", Article, Passage, Sentence)

# 3: passage and sentence vectors stored as float16 (embeddings files and dense.faiss).
FORMAT_VERSION = 3
# Vectors on disk and when loaded: half of float32, read through a memory map.
VECTOR_DTYPE = np.float16
StoredVectors = npt.NDArray[np.float16]
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
ARTICLES = "articles.jsonl"
PASSAGES = "passages.jsonl"
EMBEDDINGS = "embeddings.npy"
SENTENCES = "sentences.jsonl"
SENTENCE_EMBEDDINGS = "sentence_embeddings.npy"
DENSE = "dense.faiss"
KEYWORD_DIR = "keyword"
_VERSION_PREFIX = "v-"
_TMP_PREFIX = ".tmp-"


@dataclass(frozen=True, slots=True)
class IndexContent:
    """What a build produces: row ``i`` of each embedding matrix belongs to record ``i``.

    Sentence vectors are computed at build time so answering a question costs one query
    encoding, not one per candidate sentence.
    """

    articles: list[Article]
    passages: list[Passage]
    embeddings: Vectors
    sentences: list[Sentence]
    sentence_embeddings: Vectors


@dataclass(frozen=True, slots=True)
class LoadedIndex:
    """A verified index in memory; ``passages[i]`` is row ``i`` of both search indexes."""

    directory: Path
    manifest: Manifest
    articles: dict[str, Article]
    passages: list[Passage]
    embeddings: StoredVectors
    sentences: list[Sentence]
    sentence_embeddings: StoredVectors
    dense: DenseIndex
    keyword: KeywordIndex

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


def _write_jsonl(path: Path, records: Iterable[msgspec.Struct]) -> None:
    encoder = msgspec.json.Encoder()
    with path.open("wb") as handle:
        for record in records:
            handle.write(encoder.encode(record))
            handle.write(b"\n")


def _read_jsonl(path: Path, kind: type[RecordT]) -> list[RecordT]:
    decoder = msgspec.json.Decoder(kind)
    with path.open("rb") as handle:
        return [decoder.decode(line) for line in handle if line.strip()]


def live_version_dir(index_dir: Path) -> Path:
    """The directory ``CURRENT`` points at; ``IndexNotFoundError`` when there is none."""
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        raise IndexNotFoundError(f"no index at {index_dir} (run `polysearch index` first)")
    name = pointer.read_text(encoding="utf-8").strip()
    if not name.startswith(_VERSION_PREFIX) or "/" in name or not (index_dir / name).is_dir():
        raise IndexCorruptError(f"{pointer} names {name!r}, which is not a version directory")
    return index_dir / name


def write_index(
    index_dir: Path,
    *,
    model: ModelInfo,
    chunking: ChunkParams,
    content: IndexContent,
    dense_kind: DenseKind,
) -> Manifest:
    """Write a complete new version beside the live one and switch ``CURRENT`` to it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(index_dir)
    hashes = {article.id: article.content_hash for article in content.articles}
    version = index_version(model, chunking, hashes, dense_kind)
    staging = index_dir / f"{_TMP_PREFIX}{version}-{os.getpid()}"
    staging.mkdir()
    try:
        manifest = _write_files(staging, version, model, chunking, content, dense_kind)
        _fsync_tree(staging)
        final = index_dir / f"{_VERSION_PREFIX}{version}"
        if final.exists():
            # Left by a build that died between renaming and switching; it is not live.
            if _live_name(index_dir) == final.name:
                shutil.rmtree(staging)
                return manifest
            shutil.rmtree(final)
        staging.rename(final)
        _fsync_dir(index_dir)
        _switch_current(index_dir, final.name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove_old_versions(index_dir, keep=final.name)
    log.info("index_written", extra={"dir": str(final), "version": version, "passages": len(content.passages)})
    return manifest


def _write_files(
    staging: Path,
    version: str,
    model: ModelInfo,
    chunking: ChunkParams,
    content: IndexContent,
    dense_kind: DenseKind,
) -> Manifest:
    _write_jsonl(staging / ARTICLES, content.articles)
    _write_jsonl(staging / PASSAGES, content.passages)
    _write_jsonl(staging / SENTENCES, content.sentences)
    np.save(staging / EMBEDDINGS, content.embeddings.astype(VECTOR_DTYPE), allow_pickle=False)
    np.save(staging / SENTENCE_EMBEDDINGS, content.sentence_embeddings.astype(VECTOR_DTYPE), allow_pickle=False)
    DenseIndex.build(content.embeddings, kind=dense_kind).save(staging / DENSE)
    KeywordIndex.build([keyword_text(p) for p in content.passages]).save(staging / KEYWORD_DIR)
    files = {
        path.relative_to(staging).as_posix(): FileEntry(bytes=path.stat().st_size, sha256=_sha256(path))
        for path in sorted(staging.rglob("*"))
        if path.is_file()
    }
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        version=version,
        built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        model=model,
        chunking=chunking,
        dense_index=dense_kind,
        counts={
            "articles": len(content.articles),
            "passages": len(content.passages),
            "sentences": len(content.sentences),
            "dimension": model.dimension,
        },
        articles={article.id: article.content_hash for article in content.articles},
        files=files,
    )
    (staging / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest), indent=2))
    return manifest


def keyword_text(passage: Passage) -> str:
    """BM25 sees the title too, so a passage matches the article's subject words."""
    return f"{passage.title}\n{passage.text}"


def _live_name(index_dir: Path) -> str | None:
    pointer = index_dir / CURRENT
    return pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else None


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
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise IndexCorruptError(f"{path} is not a valid manifest: {exc}") from exc


def _verify_files(version_dir: Path, manifest: Manifest) -> None:
    for name, entry in manifest.files.items():
        path = version_dir / name
        if not path.is_file():
            raise IndexCorruptError(f"{path} is missing")
        size = path.stat().st_size
        if size != entry.bytes:
            raise IndexCorruptError(f"{path} has {size} bytes, the manifest says {entry.bytes} (truncated?)")
        if _sha256(path) != entry.sha256:
            raise IndexCorruptError(f"{path} does not match its checksum in the manifest (corrupt)")


def load_index(index_dir: Path) -> LoadedIndex:
    """Load the live version, refusing anything that does not match its manifest."""
    version_dir = live_version_dir(index_dir)
    manifest = read_manifest(version_dir)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{version_dir} has index format {manifest.format_version}, "
            f"this polysearch reads {FORMAT_VERSION}; rebuild it"
        )
    _verify_files(version_dir, manifest)
    try:
        articles = {a.id: a for a in _read_jsonl(version_dir / ARTICLES, Article)}
        passages = _read_jsonl(version_dir / PASSAGES, Passage)
        sentences = _read_jsonl(version_dir / SENTENCES, Sentence)
        # Mapped, not read: a search touches the rows of its candidates only (files are never
        # rewritten in place; a new build writes a new version directory).
        embeddings = np.load(version_dir / EMBEDDINGS, mmap_mode="r", allow_pickle=False)
        sentence_embeddings = np.load(version_dir / SENTENCE_EMBEDDINGS, mmap_mode="r", allow_pickle=False)
        kind: DenseKind = "hnsw" if manifest.dense_index == "hnsw" else "flat"
        dense = DenseIndex.load(version_dir / DENSE, kind=kind)
        keyword = KeywordIndex.load(version_dir / KEYWORD_DIR, size=len(passages))
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RuntimeError, OSError) as exc:
        raise IndexCorruptError(f"{version_dir} cannot be read: {exc}") from exc
    loaded = LoadedIndex(
        version_dir, manifest, articles, passages, embeddings, sentences, sentence_embeddings, dense, keyword
    )
    _check_counts(loaded)
    return loaded


def _check_counts(index: LoadedIndex) -> None:
    manifest, counts = index.manifest, index.manifest.counts
    dimension = manifest.model.dimension
    problems = []
    for name, records in (("articles", index.articles), ("passages", index.passages), ("sentences", index.sentences)):
        if len(records) != counts.get(name, -1):
            problems.append(f"{len(records)} {name}, manifest says {counts.get(name)}")
    for name, matrix, rows in (
        ("embeddings", index.embeddings, counts.get("passages", -1)),
        ("sentence embeddings", index.sentence_embeddings, counts.get("sentences", -1)),
    ):
        if matrix.shape != (rows, dimension) or matrix.dtype != VECTOR_DTYPE:
            problems.append(f"{name} are {matrix.dtype}{list(matrix.shape)}, expected float16[{rows}, {dimension}]")
    if index.dense.size != len(index.passages) or index.dense.dimension != dimension:
        held = f"{index.dense.size}x{index.dense.dimension}"
        problems.append(f"dense index holds {held}, expected {len(index.passages)}x{dimension}")
    cited = {p.article_id for p in index.passages} | {s.article_id for s in index.sentences}
    if not cited <= index.articles.keys():
        problems.append("passages or sentences refer to articles that are not in the index")
    if problems:
        raise IndexCorruptError(f"{index.directory}: " + "; ".join(problems))
