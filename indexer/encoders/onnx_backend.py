"""The ``onnx`` and ``onnx-int8`` encoder backends: the exported model run by onnxruntime.

``onnx`` runs the fused fp32 graph (onnxruntime's attention, embedding and LayerNorm kernels);
tokenising, batching and pooling are ``indexer.encoders.token_batches``'s. torch is imported only for
the one-off export, never to encode.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.encoders.onnx_export import OUTPUT_NAME, Variant, exported_model
from indexer.encoders.ort import onnxruntime
from indexer.encoders.token_batches import IntArray, PlannedEncoder
from indexer.errors import ModelLoadError

log = logging.getLogger(__name__)


class OnnxEncoder(PlannedEncoder):
    """The model's ONNX export on onnxruntime's CPU provider, producing normalised embeddings.

    The session is created on first use, so a build that encodes nothing exports nothing.
    """

    def __init__(
        self,
        name_or_path: str | None = None,
        *,
        quantized: bool,
        cache_dir: Path,
        threads: int | None = None,
        notify: Any = None,
    ) -> None:
        self.backend = "onnx-int8" if quantized else "onnx"
        super().__init__(name_or_path, threads=threads)
        self._variant: Variant = "int8" if quantized else "fused"
        self._cache_dir = cache_dir
        self._notify = notify
        self._inputs: tuple[str, ...] = ()

    def _open_runtime(self) -> Any:
        path = self.export()
        ort = onnxruntime()
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Spinning threads would burn the cores other requests need once a call is done.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            # Explicitly CPU: the default provider list starts with one that would call Azure.
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for a bad file
            raise ModelLoadError(f"cannot load the ONNX encoder {path}: {exc}") from exc
        self._inputs = tuple(i.name for i in session.get_inputs())
        log.info(
            "model_loaded",
            extra={"model": self.name, "backend": self.backend, "dimension": self.dimension, "threads": self._threads},
        )
        return session

    def export(self) -> Path:
        """The ONNX file this encoder runs, exported into the cache first if it is not there."""
        return exported_model(self.name, self._root, self._cache_dir, variant=self._variant, notify=self._notify)

    def _forward(self, runtime: Any, ids: IntArray, mask: IntArray) -> npt.NDArray[np.float32]:
        # One segment: token types are all zero, as the tokenizer gives a single text.
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = runtime.run([OUTPUT_NAME], {name: feeds[name] for name in self._inputs})
        return np.asarray(hidden, dtype=np.float32)
