"""What the ``onnx``, ``onnx-int8`` and ``torch-bf16`` backends share: their own tokenising,
batching and pooling around a runtime that maps token ids to the model's last hidden states.

Tokenisation uses the model's own ``tokenizer.json`` (truncated at the model's
``max_seq_length``, not the file's 128), pooling and normalisation follow the model's
sentence-transformers config, so the result reproduces the torch backend's vectors.

A call tokenises each distinct text once, sorts by token count and pads each batch to its
longest in numpy: a repeated text is encoded once, and little is spent on padding.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

from indexer.encoders.base import Vectors, resolve_model
from indexer.errors import ModelLoadError

# Padded tokens per batch at most (besides batch_size texts): long passages go in small batches,
# whose attention matrices stay in cache; short sentences in large ones. Chosen by the sweep in
# CHANGELOG.md ("Encoder backends and indexing speed").
MAX_BATCH_TOKENS = 2048
# Texts tokenised per tokenizer call while planning, so a 100k-passage build never holds
# hundreds of thousands of Encoding objects at once.
_TOKENISE_CHUNK = 4096

_SUPPORTED_MODULES = (
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
)

IntArray = npt.NDArray[np.int64]


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def local_model_dir(name: str, location: str) -> Path:
    """The model's files on disk: a path as given, else the local Hugging Face cache only."""
    path = Path(location)
    if path.is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(location, local_files_only=True))
    except Exception as exc:  # the hub client raises several types for "not cached"
        raise ModelLoadError(f"cannot load embedding model {name!r}: not found locally ({exc})") from exc


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path} is not a JSON object")
    return data


class ModelConfig:
    """What a planned backend must reproduce from the model's sentence-transformers config."""

    def __init__(self, name: str, root: Path, backend: str) -> None:
        modules_path = root / "modules.json"
        modules = json.loads(modules_path.read_text(encoding="utf-8")) if modules_path.is_file() else []
        kinds = tuple(str(m.get("type", "")) for m in modules)
        if kinds not in (_SUPPORTED_MODULES, _SUPPORTED_MODULES[:2]):
            raise ModelLoadError(
                f"model {name!r} is not a transformer + pooling (+ normalise) sentence-transformers model "
                f"({', '.join(k.rsplit('.', 1)[-1] for k in kinds) or 'no modules.json'}); use --backend torch"
            )
        self.normalize = len(kinds) == 3
        # The transformer's own folder (``""``: the model's root), where its weights and config are.
        self.transformer_dir = root / str(modules[0].get("path", ""))
        pooling_dir = root / str(modules[1].get("path", "1_Pooling"))
        pooling = _read_json(pooling_dir / "config.json")
        modes = sorted(key for key, on in pooling.items() if key.startswith("pooling_mode_") and on is True)
        if modes != ["pooling_mode_mean_tokens"]:
            raise ModelLoadError(f"model {name!r} pools by {modes}; the {backend} backend does mean pooling only")
        st_config = _read_json(root / "sentence_bert_config.json")
        self.max_seq_length = int(st_config.get("max_seq_length") or 512)
        self.lowercase = bool(st_config.get("do_lower_case", False))
        self.dimension = int(pooling["word_embedding_dimension"])


@dataclass(frozen=True, slots=True)
class _Plan:
    """One ``encode`` call's work: each distinct text's token ids, and the batches they go in."""

    ids: npt.NDArray[np.int32]  # every distinct text's token ids, one after the other
    starts: IntArray  # distinct text k's ids are ids[starts[k] : starts[k] + lengths[k]]
    lengths: IntArray
    distinct_of_row: IntArray  # row i of the call is distinct text distinct_of_row[i]
    batches: list[list[int]]  # distinct texts, longest first; each batch padded to its first


def _token_batches(lengths: Sequence[int], batch_size: int, max_tokens: int) -> list[list[int]]:
    """Indices by token count, longest first (stable on ties), cut into batches of at most
    ``batch_size`` texts and ``max_tokens`` padded tokens (a single longer text goes alone)."""
    order = sorted(range(len(lengths)), key=lambda k: -lengths[k])
    batches: list[list[int]] = []
    current: list[int] = []
    for k in order:
        # Sorted longest first, so the batch's first text sets its padded length.
        if current and (len(current) >= batch_size or (len(current) + 1) * lengths[current[0]] > max_tokens):
            batches.append(current)
            current = []
        current.append(k)
    if current:
        batches.append(current)
    return batches


class PlannedEncoder:
    """Tokenising, batching and pooling for a backend whose ``_forward`` runs the transformer.

    The runtime (an onnxruntime session, a torch module) is created on first use by
    ``_open_runtime``, so a build that encodes nothing loads nothing.
    """

    backend: str
    # Padded tokens per batch at most for this backend (see ``MAX_BATCH_TOKENS``).
    batch_tokens: int = MAX_BATCH_TOKENS

    def __init__(self, name_or_path: str | None, *, threads: int | None = None) -> None:
        self.name, location = resolve_model(name_or_path)
        self._root = local_model_dir(self.name, location)
        self._config = ModelConfig(self.name, self._root, self.backend)
        self.dimension = self._config.dimension
        self.max_seq_length = self._config.max_seq_length
        tokenizer_path = self._root / "tokenizer.json"
        try:
            self._counter = Tokenizer.from_file(str(tokenizer_path))
            self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as exc:  # tokenizers raises its own exception type for a bad file
            raise ModelLoadError(f"cannot load {tokenizer_path}: {exc}") from exc
        # The file's own settings (truncation at 128, fixed padding to 128) are not the model's:
        # sentence-transformers truncates at max_seq_length and pads each batch to its longest.
        self._pad = self._pad_id()  # read before the file's padding settings are dropped
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer.enable_truncation(self.max_seq_length)
        # Padding is done per batch in numpy, after texts are sorted by their token counts.
        self._tokenizer.no_padding()
        self.max_batch_tokens = max(self.batch_tokens, self.max_seq_length)
        self._threads = threads or usable_cores()
        self._runtime: Any = None
        self._lock = threading.Lock()

    def _pad_id(self) -> int:
        padding = self._counter.padding
        if padding:
            return int(padding["pad_id"])
        token_id = self._counter.token_to_id("[PAD]")
        return 0 if token_id is None else int(token_id)

    def _open_runtime(self) -> Any:
        raise NotImplementedError

    def _forward(self, runtime: Any, ids: IntArray, mask: IntArray) -> npt.NDArray[np.float32]:
        """The last hidden states, float32, of one padded batch."""
        raise NotImplementedError

    def _ensure_runtime(self) -> Any:
        runtime = self._runtime
        if runtime is not None:
            return runtime
        with self._lock:
            if self._runtime is None:
                self._runtime = self._open_runtime()
            return self._runtime

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        runtime = self._ensure_runtime()
        plan = self._plan(texts, batch_size)
        distinct = np.empty((len(plan.lengths), self.dimension), dtype=np.float32)
        batches: Iterable[list[int]] = plan.batches
        if show_progress:
            from tqdm import tqdm

            batches = tqdm(plan.batches, desc="Batches")
        for batch in batches:
            distinct[batch] = self._encode_batch(runtime, plan, batch)
        # A repeated text gets its one vector (a copy), in every row it fills.
        result: Vectors = distinct[plan.distinct_of_row]
        return result

    def batch_rows(self, texts: Sequence[str], batch_size: int) -> list[list[int]]:
        """Row numbers of ``texts`` in the batches ``encode(texts, batch_size=...)`` forms.

        Padding to each batch's longest text changes vectors in the last bits, so a distributed
        build (indexer/engines/ray_embed.py) sends its workers exactly these batches. A repeated
        text rides in the batch of its first occurrence (after the distinct ones, in their order),
        so a worker encoding one planned batch whole plans exactly that batch again.
        """
        plan = self._plan(texts, batch_size)
        first = np.full(len(plan.lengths), -1, dtype=np.int64)
        repeats: list[list[int]] = [[] for _ in range(len(plan.lengths))]
        for row, k in enumerate(plan.distinct_of_row.tolist()):
            if first[k] < 0:
                first[k] = row
            else:
                repeats[k].append(row)
        return [[int(first[k]) for k in batch] + [r for k in batch for r in repeats[k]] for batch in plan.batches]

    def _prepare(self, texts: Sequence[str]) -> list[str]:
        return [text.lower() for text in texts] if self._config.lowercase else list(texts)

    def _plan(self, texts: Sequence[str], batch_size: int) -> _Plan:
        """Tokenise each distinct text once and cut them into batches by token count."""
        index: dict[str, int] = {}
        distinct_of_row = np.array([index.setdefault(text, len(index)) for text in self._prepare(texts)])
        distinct = list(index)
        chunks: list[npt.NDArray[np.int32]] = []
        lengths: list[int] = []
        for start in range(0, len(distinct), _TOKENISE_CHUNK):
            for encoding in self._tokenizer.encode_batch(distinct[start : start + _TOKENISE_CHUNK]):
                chunks.append(np.asarray(encoding.ids, dtype=np.int32))
                lengths.append(len(encoding.ids))
        counts = np.asarray(lengths, dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        return _Plan(
            ids=np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32),
            starts=starts,
            lengths=counts,
            distinct_of_row=distinct_of_row.astype(np.int64),
            batches=_token_batches(lengths, max(1, batch_size), self.max_batch_tokens),
        )

    def _encode_batch(self, runtime: Any, plan: _Plan, batch: list[int]) -> Vectors:
        width = int(plan.lengths[batch].max())
        ids = np.full((len(batch), width), self._pad, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for slot, k in enumerate(batch):
            start, length = int(plan.starts[k]), int(plan.lengths[k])
            ids[slot, :length] = plan.ids[start : start + length]
            mask[slot, :length] = 1
        hidden = self._forward(runtime, ids, mask)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self._config.normalize:
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return np.ascontiguousarray(pooled, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        prepared = text.lower() if self._config.lowercase else text
        return len(self._counter.encode(prepared, add_special_tokens=True).ids)
