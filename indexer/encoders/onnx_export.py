"""Exporting a sentence-transformers model to ONNX (fp32, fused fp32, dynamic int8), once, into a cache.

Nothing is downloaded: the model's own files are traced by ``torch.onnx.export``; for the fused
variant a BERT-style model is traced in the shape onnxruntime's transformer optimiser recognises
and its attention, embedding and LayerNorm blocks are fused into single kernels; int8 is
quantised by ``onnxruntime.quantization.quantize_dynamic``. Each export is keyed by a
fingerprint of the model's files and of this exporter, written under a temporary name and
renamed into place, so concurrent workers and a killed export never leave a half-written model.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import math
import os
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import msgspec

from indexer.encoders.ort import onnxruntime
from indexer.errors import ModelLoadError

log = logging.getLogger(__name__)

# Bump when the export itself changes (inputs, opset, quantisation), so old caches are redone.
# 2: the fused fp32 variant (what the ``onnx`` backend runs).
EXPORT_SCHEME = 2
OPSET = 17
FP32_FILE = "model.onnx"
FUSED_FILE = "model-fused.onnx"
INT8_FILE = "model-int8.onnx"
Variant = Literal["fp32", "fused", "int8"]
_FILES: dict[str, str] = {"fp32": FP32_FILE, "fused": FUSED_FILE, "int8": INT8_FILE}
# The attention implementation the fused export traces (registered with transformers on first use).
_EXPORT_ATTENTION = "polysearch_fusable"
INFO_FILE = "export.json"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
_SKIPPED_SUFFIXES = (".md", ".onnx")


class ExportInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What an exported file was made from, so a stale or damaged cache is redone, not used."""

    model: str
    source: str
    scheme: int
    variant: str
    sha256: str
    bytes: int
    torch: str
    onnxruntime: str
    exported_at: str
    seconds: float


def model_fingerprint(location: Path) -> str:
    """sha256 over the model's files (names and bytes) and this exporter's scheme."""
    digest = hashlib.sha256(f"scheme={EXPORT_SCHEME};opset={OPSET}\n".encode())
    for path in sorted(p for p in location.rglob("*") if p.is_file() and not p.name.endswith(_SKIPPED_SUFFIXES)):
        digest.update(path.relative_to(location).as_posix().encode() + b"\0")
        digest.update(_file_sha256(path).encode())
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_WHAT = {"fp32": "export to ONNX", "fused": "export to ONNX and fusion", "int8": "export to ONNX and int8 quantisation"}


def exported_model(
    name: str, location: Path, cache_dir: Path, *, variant: Variant, notify: Callable[[str], None] | None = None
) -> Path:
    """The cached ONNX file for the model at ``location``, exporting it first if needed.

    ``fp32`` is the plain trace; ``fused`` the same function with onnxruntime's transformer
    fusions applied (a model its optimiser does not know keeps the plain graph); ``int8`` the
    plain trace with dynamically quantised weights.
    """
    source = model_fingerprint(location)
    folder = cache_dir / source[:16]
    target = folder / _FILES[variant]
    if _cached(target, source, variant):
        return target
    message = f"preparing the {variant} ONNX encoder for {name} (one-off {_WHAT[variant]}, into {folder}) ..."
    log.info("onnx_export_started", extra={"model": name, "variant": variant, "dir": str(folder)})
    if notify is not None:
        notify(message)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelLoadError(f"cannot create the encoder cache {folder}: {exc.strerror or exc}") from exc
    started = time.perf_counter()
    if variant == "int8":
        fp32 = exported_model(name, location, cache_dir, variant="fp32")
        with _staging(target) as staging:
            _quantize(fp32, staging)
    elif variant == "fused":
        with _staging(target) as staging:
            _export_fused(location, staging)
    else:
        with _staging(target) as staging:
            _export_fp32(location, staging)
    seconds = round(time.perf_counter() - started, 2)
    _write_info(target, name=name, source=source, variant=variant, seconds=seconds)
    log.info("onnx_export_done", extra={"model": name, "variant": variant, "seconds": seconds})
    return target


def _info_path(target: Path) -> Path:
    return target.with_name(f"{target.stem}.{INFO_FILE}")


def _cached(target: Path, source: str, variant: str) -> bool:
    info_path = _info_path(target)
    if not (target.is_file() and info_path.is_file()):
        return False
    try:
        info = msgspec.json.decode(info_path.read_bytes(), type=ExportInfo)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False
    fresh = info.source == source and info.variant == variant and info.scheme == EXPORT_SCHEME
    # A truncated or damaged file is exported again rather than handed to onnxruntime.
    return fresh and target.stat().st_size == info.bytes and _file_sha256(target) == info.sha256


@contextlib.contextmanager
def _staging(target: Path) -> Iterator[Path]:
    staging = target.with_name(f".tmp-{target.name}-{os.getpid()}")
    try:
        yield staging
        with staging.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)


def _write_info(target: Path, *, name: str, source: str, variant: str, seconds: float) -> None:
    import torch

    info = ExportInfo(
        model=name,
        source=source,
        scheme=EXPORT_SCHEME,
        variant=variant,
        sha256=_file_sha256(target),
        bytes=target.stat().st_size,
        torch=str(torch.__version__),
        onnxruntime=str(onnxruntime().__version__),
        exported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        seconds=seconds,
    )
    info_path = _info_path(target)
    with _staging(info_path) as staging:
        staging.write_bytes(msgspec.json.format(msgspec.json.encode(info), indent=2))


def _load_for_export(location: Path, **options: Any) -> Any:
    import transformers

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        model = transformers.AutoModel.from_pretrained(str(location), local_files_only=True, **options)
    except Exception as exc:  # the library raises many types for a missing/broken model
        raise ModelLoadError(f"cannot load {location} for the ONNX export: {exc}") from exc
    model.eval()
    return model


def _export_fp32(location: Path, out: Path) -> None:
    """Trace the model's transformer (token embeddings out); pooling stays in numpy, as configured."""
    import torch

    model = _load_for_export(location)
    uses_types = "token_type_ids" in _forward_parameters(model)
    names = list(INPUT_NAMES if uses_types else INPUT_NAMES[:2])

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.model(**dict(zip(names, inputs))).last_hidden_state
            return hidden

    _trace(TokenEmbeddings(), names, out)


def _trace(module: Any, names: list[str], out: Path) -> None:
    import torch

    # A padded batch of two, so the traced graph keeps batch and length dynamic and masks padding.
    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    example[1][1, 5:] = 0
    if len(names) > 2:  # token types: all zero, one segment
        example[2].zero_()
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, OUTPUT_NAME]}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
        # The tracer warns about Python conditions it freezes; none depends on batch or length.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            example,
            str(out),
            input_names=names,
            output_names=[OUTPUT_NAME],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _fusable_attention(
    module: Any, query: Any, key: Any, value: Any, attention_mask: Any, *args: Any, **kwargs: Any
) -> tuple[Any, Any]:
    """transformers' eager attention, written as the graph onnxruntime's attention fusion matches.

    The same function (scores scaled by 1/sqrt(head size), an additive mask, softmax), but the
    scale is a ``Div`` and the mask the classic ``(1 - mask) * min`` product: transformers 5's
    own trace (a ``Mul`` scale beside a ``Mul`` mask, or its gathered boolean mask) is not matched.
    """
    import torch

    scores = torch.matmul(query, key.transpose(2, 3)) / math.sqrt(query.size(-1))
    if attention_mask is not None:
        scores = scores + attention_mask
    weights = torch.nn.functional.softmax(scores, dim=-1)
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), weights


def _export_fused(location: Path, out: Path) -> None:
    """A BERT-style model traced for fusion, then fused by onnxruntime's transformer optimiser.

    Offline: the optimiser rewrites the graph in Python (``opt_level=0``), no session, nothing
    fetched. A model that is not BERT-shaped is exported plainly; what did fuse is logged.
    """
    import torch
    import transformers

    try:
        config = transformers.AutoConfig.from_pretrained(str(location), local_files_only=True)
    except Exception as exc:  # the library raises many types for a missing/broken config
        raise ModelLoadError(f"cannot read {location}'s config for the ONNX export: {exc}") from exc
    if config.model_type != "bert":
        _export_fp32(location, out)
        log.info("onnx_fusion_skipped", extra={"model_type": config.model_type})
        return
    transformers.AttentionInterface.register(_EXPORT_ATTENTION, _fusable_attention)
    model = _load_for_export(location, attn_implementation=_EXPORT_ATTENTION)
    lowest = torch.finfo(torch.float32).min

    class FusableTokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
            embedded = self.model.embeddings(input_ids=input_ids, token_type_ids=types)
            # The additive mask BERT always used: 0 where a token is real, the lowest float on padding.
            additive = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * lowest
            hidden: torch.Tensor = self.model.encoder(embedded, attention_mask=additive).last_hidden_state
            return hidden

    plain = out.with_name(f"{out.name}.plain")
    try:
        _trace(FusableTokenEmbeddings(), list(INPUT_NAMES), plain)
        _optimize(plain, out, heads=int(config.num_attention_heads), hidden=int(config.hidden_size))
    finally:
        plain.unlink(missing_ok=True)


def _optimize(plain: Path, out: Path, *, heads: int, hidden: int) -> None:
    onnxruntime()  # sets the telemetry switch before the optimiser imports onnxruntime
    from onnxruntime.transformers.optimizer import optimize_model

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the optimiser reports each fusion on the root logger
    try:
        optimized = optimize_model(
            str(plain), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0, use_gpu=False
        )
    finally:
        root.setLevel(level)
    fused = {op: count for op, count in optimized.get_fused_operator_statistics().items() if count}
    log.info("onnx_fusion_done", extra={"fused": fused})
    optimized.save_model_to_file(str(out))


def _forward_parameters(model: object) -> set[str]:
    import inspect

    forward = getattr(model, "forward", None)
    return set(inspect.signature(forward).parameters) if forward is not None else set()


def _quantize(fp32: Path, out: Path) -> None:
    """Dynamic int8: weights quantised per channel ahead of time, activations per call.

    Per-channel unsigned weights kept the cosine to torch at 0.98-0.995 on real passages;
    per-tensor signed weights (the library default) fell to 0.89-0.97.
    """
    onnxruntime()  # sets the telemetry switch before the quantisation module imports onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    # The quantiser logs advice about calibration tools on the root logger; it is not ours to show.
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QUInt8, per_channel=True)
    finally:
        root.setLevel(level)
