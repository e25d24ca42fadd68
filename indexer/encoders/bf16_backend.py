"""The ``torch-bf16`` encoder backend: the model's weights and activations in bfloat16, on torch.

Meant for indexing on CPUs with native bfloat16 arithmetic (x86 ``avx512_bf16`` or
``amx_bf16``), where a bfloat16 matrix product runs at about twice the float32 rate; elsewhere
oneDNN would emulate it, slower than float32, so loading is refused there. Tokenising,
batching and pooling are ``indexer.encoders.token_batches``'s (pooling in float32), and attention is
the explicit (eager) kind, which measured faster here than torch's fused CPU kernel in bfloat16.
Vectors have cosine >= 0.9999 to the float32 model's, so they count as float32 vectors: an
index built here is searched by ``onnx`` or ``torch`` queries (docs/performance.md, "Indexing").
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.encoders import cpu
from indexer.encoders.token_batches import IntArray, PlannedEncoder
from indexer.errors import ModelLoadError

log = logging.getLogger(__name__)

# Smaller batches than float32's 2,048 padded tokens: measured 1.08x faster on real passages and
# sentences, as each layer's activations stay in the core's cache.
BF16_BATCH_TOKENS = 1024


class Bf16Encoder(PlannedEncoder):
    """The model's transformer on torch in bfloat16, producing normalised float32 embeddings."""

    backend = "torch-bf16"
    batch_tokens = BF16_BATCH_TOKENS

    def __init__(self, name_or_path: str | None = None, *, threads: int | None = None) -> None:
        if not cpu.native_bf16():
            raise ModelLoadError(
                "the torch-bf16 backend needs a CPU with bfloat16 instructions (avx512_bf16 or amx_bf16), "
                "which this one lacks (it would be emulated, slower than float32); use --backend onnx"
            )
        # Never reach for the network at run time: a missing model is an error, not a download.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        super().__init__(name_or_path, threads=threads)
        self._threads_given = threads is not None

    def _open_runtime(self) -> Any:
        try:
            import torch
            import transformers

            # The weight-loading bar is noise in service logs; indexing has its own bar.
            transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            if self._threads_given:
                # Process-wide in torch: only when asked (a Ray actor owns its process and cores).
                torch.set_num_threads(self._threads)
            model = transformers.AutoModel.from_pretrained(
                str(self._config.transformer_dir),
                dtype=torch.bfloat16,
                attn_implementation="eager",
                local_files_only=True,
            )
        except Exception as exc:  # the library raises many types for a missing/broken model
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelLoadError(f"cannot load embedding model {self.name!r}: {reason}") from exc
        model.eval()
        log.info(
            "model_loaded",
            extra={"model": self.name, "backend": self.backend, "dimension": self.dimension, "threads": self._threads},
        )
        return model

    def _forward(self, runtime: Any, ids: IntArray, mask: IntArray) -> npt.NDArray[np.float32]:
        import torch

        input_ids = torch.from_numpy(ids)
        with torch.inference_mode():
            output = runtime(
                input_ids=input_ids,
                attention_mask=torch.from_numpy(mask),
                token_type_ids=torch.zeros_like(input_ids),
            )
            hidden: npt.NDArray[np.float32] = output.last_hidden_state.float().numpy()
        return hidden
