"""How close each encoder backend runs to the machine's matrix-product peak, and what that bounds.

Building an index is almost all model time, and the model is almost all matrix products. So the
fastest any float32 backend can index is the machine's own float32 matrix-product (sgemm) rate;
a backend's speed-up over torch can never pass that peak divided by torch's rate:

    python -m eval.bench.roofline --index DIR [--backends torch,onnx] [--texts 1500] [--rounds 2]

``DIR`` is a built index (any backend); a deterministic sample of the texts its build encoded
(passages and answer sentences alike, each distinct text once) is encoded by every backend,
rounds alternated. The work is counted from the model's config: only the matrix products of the
transformer layers (projections, feed-forward, attention scores and mixing) at each text's real
token count. Counting less than the model does understates every backend's rate equally, which
only makes the float32 bound printed at the end more generous than the truth.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.bench.stats import median
from eval.bench.table import table
from indexer.encoders.base import Encoder

# The peak is timed on the model's widest product, many token rows at once, as a build's batches are.
PEAK_ROWS = 4096
PEAK_REPEATS = 20


@dataclass(frozen=True, slots=True)
class TransformerShape:
    """The sizes that set a BERT-style encoder's matrix products."""

    layers: int
    hidden: int
    intermediate: int

    @classmethod
    def of_model(cls, location: str | Path) -> TransformerShape:
        """Read from the model's ``config.json`` (BERT-style keys)."""
        config = json.loads((Path(location) / "config.json").read_text(encoding="utf-8"))
        try:
            return cls(int(config["num_hidden_layers"]), int(config["hidden_size"]), int(config["intermediate_size"]))
        except KeyError as exc:
            raise ValueError(f"{location}/config.json has no {exc.args[0]!r}: not a BERT-style model") from exc

    def flops(self, tokens: int) -> int:
        """Matrix-product FLOPs (2 per multiply-add) for one text of ``tokens`` tokens."""
        h, i = self.hidden, self.intermediate
        projections = tokens * (4 * h * h + 2 * h * i)  # query, key, value, output; feed-forward in and out
        attention = 2 * tokens * tokens * h  # scores, then the weighted sum of values
        return 2 * self.layers * (projections + attention)


def model_tokens(encoder: Encoder, text: str) -> int:
    """Tokens the model runs for ``text``: its count, cut at the model's maximum as encoding does."""
    return min(encoder.count_tokens(text), encoder.max_seq_length)


def sample_texts(texts: Sequence[str], count: int) -> list[str]:
    """Up to ``count`` distinct texts spread evenly over ``texts`` (passages first, then sentences)."""
    distinct = list(dict.fromkeys(texts))
    stride = max(1, len(distinct) // count)
    return distinct[::stride][:count]


def _best_rate(product: Callable[[], object], flops: int) -> float:
    """FLOP/s of ``product`` (``flops`` each call): the best of five timings of PEAK_REPEATS calls."""
    product()  # warm: thread pool and caches
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(PEAK_REPEATS):
            product()
        best = min(best, time.perf_counter() - started)
    return PEAK_REPEATS * flops / best


def sgemm_peak(threads: int, *, rows: int, inner: int, outer: int) -> float:
    """torch's float32 matrix product on ``threads`` threads, (rows x inner) @ (inner x outer), in FLOP/s."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        generator = torch.Generator().manual_seed(0)
        a = torch.rand(rows, inner, generator=generator)
        b = torch.rand(inner, outer, generator=generator)
        return _best_rate(lambda: a @ b, 2 * rows * inner * outer)
    finally:
        torch.set_num_threads(previous)


def numpy_sgemm_peak(*, rows: int, inner: int, outer: int) -> float:
    """The same product through numpy's BLAS on all its threads: a second opinion on the peak."""
    import numpy as np

    generator = np.random.default_rng(0)
    a = generator.random((rows, inner), dtype=np.float32)
    b = generator.random((inner, outer), dtype=np.float32)
    return _best_rate(lambda: a @ b, 2 * rows * inner * outer)


def time_backends(
    encoders: Mapping[str, Encoder], texts: Sequence[str], *, rounds: int, batch_size: int = 64
) -> dict[str, list[float]]:
    """Seconds to encode ``texts`` per backend per round; order reversed every other round."""
    seconds: dict[str, list[float]] = {name: [] for name in encoders}
    names = list(encoders)
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            encoders[name].encode(list(texts), batch_size=batch_size)
            seconds[name].append(time.perf_counter() - started)
    return seconds


@dataclass(frozen=True, slots=True)
class Roofline:
    flops: float
    peak: float  # FLOP/s, the best sgemm on every core
    seconds: dict[str, list[float]]  # per backend, each round

    def rate(self, backend: str) -> float:
        return self.flops / median(self.seconds[backend])

    def of_peak(self, backend: str) -> float:
        return self.rate(backend) / self.peak

    def fp32_bound(self, reference: str) -> float:
        """The most any float32 backend could gain over ``reference``: running at the sgemm peak."""
        return self.peak / self.rate(reference)


def render(roofline: Roofline, reference: str) -> str:
    rows = [
        [
            name,
            " / ".join(f"{s:.2f}" for s in runs),
            f"{roofline.rate(name) / 1e9:.1f}",
            f"{roofline.of_peak(name) * 100:.0f} %",
            f"{roofline.rate(name) / roofline.rate(reference):.2f}x",
        ]
        for name, runs in roofline.seconds.items()
    ]
    return table(rows, header=["backend", "encode s (each round)", "GFLOP/s", "of sgemm peak", f"vs {reference}"])


def main(argv: Sequence[str] | None = None, *, load: Callable[[str], Encoder] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench.roofline", description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="a built index; its encoded texts are sampled")
    parser.add_argument("--backends", default="torch,onnx", help="comma-separated; the first is the reference")
    parser.add_argument("--texts", type=int, default=1500, help="distinct texts to encode per backend and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None, help="cache for exported ONNX files (default: a temp dir)")
    parser.add_argument("--peak-rows", type=int, default=PEAK_ROWS, help="token rows of the product timed for the peak")
    args = parser.parse_args(argv)
    if min(args.texts, args.rounds, args.peak_rows) < 1:
        parser.error("--texts, --rounds and --peak-rows must be at least 1")
    from eval.bench.indexing import encoded_texts
    from indexer.encoders.base import resolve_model
    from indexer.errors import PolysearchError

    try:
        every_text = encoded_texts(args.index)
        texts = sample_texts(every_text, args.texts)
    except (PolysearchError, OSError) as exc:
        print(f"error: cannot read the index {args.index}: {exc}", file=sys.stderr)
        return 2
    try:
        shape = TransformerShape.of_model(resolve_model(None)[1])
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = [name.strip() for name in args.backends.split(",") if name.strip()]
    if load is None:
        load = _loader(args.work)
    try:
        encoders = {name: load(name) for name in names}
    except ValueError as exc:
        parser.error(str(exc))
    except PolysearchError as exc:  # e.g. torch-bf16 on a CPU without bfloat16 instructions
        print(f"error: {exc}", file=sys.stderr)
        return 2
    reference = next(iter(encoders.values()))
    tokens_of = {text: model_tokens(reference, text) for text in dict.fromkeys(every_text)}
    lengths = [tokens_of[text] for text in texts]
    flops = float(sum(shape.flops(n) for n in lengths))
    # A build may encode a text more than once (a sentence repeated across articles); a backend
    # that encodes each distinct text once is spared that work, which no peak bounds.
    flops_of = {text: shape.flops(n) for text, n in tokens_of.items()}
    repeats = sum(flops_of[text] for text in every_text) / sum(flops_of.values())
    for encoder in encoders.values():
        encoder.encode(texts[:32])  # sessions and thread pools warmed before timing
    print(f"load before: {_load()}", flush=True)
    seconds = time_backends(encoders, texts, rounds=args.rounds)
    from eval.bench import machine

    cores = machine.usable_cores()
    dims = {"rows": args.peak_rows, "inner": shape.hidden, "outer": shape.intermediate}
    peak_torch = sgemm_peak(cores, **dims)
    peak_numpy = numpy_sgemm_peak(**dims)
    peak_core = sgemm_peak(1, **dims)
    roofline = Roofline(flops=flops, peak=max(peak_torch, peak_numpy), seconds=seconds)
    print(
        f"{len(texts)} distinct texts of {args.index}, {sum(lengths):,} tokens "
        f"(mean {sum(lengths) / len(lengths):.1f}), "
        f"{flops / 1e9:,.0f} GFLOP of matrix products; {args.rounds} rounds, alternating"
    )
    print(
        f"sgemm peak ({args.peak_rows}x{shape.hidden} @ {shape.hidden}x{shape.intermediate}, float32): "
        f"{peak_torch / 1e9:.1f} GFLOP/s torch on {cores} threads, {peak_numpy / 1e9:.1f} numpy, "
        f"{peak_core / 1e9:.1f} torch on one"
    )
    print(render(roofline, names[0]))
    print(
        f"float32 bound: at the sgemm peak a backend would encode these texts {roofline.fp32_bound(names[0]):.2f}x "
        f"as fast as {names[0]}"
    )
    print(
        f"the build encoded {len(every_text):,} texts, {len(flops_of):,} distinct ({repeats:.3f}x the distinct work): "
        f"a build that encodes each distinct text once at the sgemm peak would run at most "
        f"{roofline.fp32_bound(names[0]) * repeats:.2f}x {names[0]}'s"
    )
    print(f"load after: {_load()}")
    return 0


def _loader(work: Path | None) -> Callable[[str], Encoder]:
    import tempfile

    from indexer.encoders.registry import encoder_cache_dir, load_encoder, parse_backend

    cache = work / "encoders" if work is not None else encoder_cache_dir(Path(tempfile.mkdtemp(prefix="roofline-")))

    def load(name: str) -> Encoder:
        return load_encoder(None, backend=parse_backend(name), cache_dir=cache, notify=print)

    return load


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
