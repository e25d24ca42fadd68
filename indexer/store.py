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
import errno
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
from indexer.errors import BuildError, IndexCorruptError, IndexMismatchError, IndexNotFoundError
from indexer.keyword import ANALYZER, KeywordIndex
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
            if _live_name(index_dir) == final.name and _intact(final):
                shutil.rmtree(staging)
                return manifest
            # Not live (left by a build that died between renaming and switching), or live but
            # damaged: the fresh copy replaces it. Moved aside first, so the rename below is atomic.
            aside = index_dir / f"{_TMP_PREFIX}replaced-{version}-{os.getpid()}"
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
    texts, langs = [keyword_text(p) for p in content.passages], [p.lang for p in content.passages]
    KeywordIndex.build(texts, langs).save(staging / KEYWORD_DIR)
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
        analyzer=ANALYZER,
    )
    (staging / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest), indent=2))
    return manifest


def keyword_text(passage: Passage) -> str:
    """BM25 sees the title too, so a passage matches the article's subject words."""
    return f"{passage.title}\n{passage.text}"


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
    return load_version(live_version_dir(index_dir))


def load_version(version_dir: Path) -> LoadedIndex:
    """Load one version directory, refusing anything that does not match its manifest."""
    manifest = read_manifest(version_dir)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{version_dir} has index format {manifest.format_version}, "
            f"this polysearch reads {FORMAT_VERSION}; rebuild it"
        )
    if manifest.analyzer != ANALYZER:
        # Queries must be analysed exactly as the passages were, or keyword terms never meet.
        raise IndexMismatchError(
            f"{version_dir} has a keyword index made by analyser {manifest.analyzer!r}, "
            f"this polysearch analyses with {ANALYZER!r}; rebuild it"
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
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RuntimeError, OSError, EOFError) as exc:
        raise IndexCorruptError(f"{version_dir} cannot be read: {exc}") from exc
    loaded = LoadedIndex(
        version_dir, manifest, articles, passages, embeddings, sentences, sentence_embeddings, dense, keyword
    )
    _check_counts(loaded)
    return loaded


_FINITE_CHECK_ROWS = 8192


def _all_finite(matrix: StoredVectors) -> bool:
    """Whether every value is finite, read in blocks of rows.

    The vectors are memory-mapped; checking them block by block and copying each block keeps
    the check from holding the whole matrix resident at once.
    """
    for start in range(0, len(matrix), _FINITE_CHECK_ROWS):
        if not np.isfinite(np.array(matrix[start : start + _FINITE_CHECK_ROWS])).all():
            return False
    return True


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
        elif not _all_finite(matrix):
            # A NaN row scores NaN against every query, so answers silently disappear.
            problems.append(f"{name} contain non-finite values (NaN or infinity)")
    if index.dense.size != len(index.passages) or index.dense.dimension != dimension:
        held = f"{index.dense.size}x{index.dense.dimension}"
        problems.append(f"dense index holds {held}, expected {len(index.passages)}x{dimension}")
    cited = {p.article_id for p in index.passages} | {s.article_id for s in index.sentences}
    if not cited <= index.articles.keys():
        problems.append("passages or sentences refer to articles that are not in the index")
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
