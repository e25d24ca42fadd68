"""What the subcommands share: the default folders, number checks, and the build's encoder options."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from indexer.build.builder import DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS
from indexer.encoders.registry import (
    AUTO,
    BACKENDS,
    DEFAULT_BACKEND,
    encoder_cache_dir,
    load_encoder,
    resolve_backend,
    serving_backend,
)

Handler = Callable[[argparse.Namespace], int]
# What a module hands the command line to add its subcommand.
Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

DEFAULT_INDEX = Path("index")

DEFAULT_SEEDS = Path("seeds")


def _int_at_least(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _int_at_least(text, 1)


def non_negative_int(text: str) -> int:
    return _int_at_least(text, 0)


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """``--backend`` of ``polysearch index`` and ``polysearch sync``."""
    parser.add_argument(
        "--backend",
        choices=(AUTO, *BACKENDS),
        default=DEFAULT_BACKEND,
        help=f"encoder backend, recorded in the manifest and the version (default {DEFAULT_BACKEND} on every "
        "machine and engine, so the same articles give the same version; auto is the same); torch-bf16 is "
        "faster only on a CPU with bfloat16 instructions, makes other vectors, and is served by onnx",
    )


def add_chunk_options(parser: argparse.ArgumentParser) -> None:
    """How articles become passages and how many are encoded at once: the same for index and sync."""
    parser.add_argument(
        "--chunk-tokens",
        type=positive_int,
        default=DEFAULT_CHUNK_TOKENS,
        help="passage length in tokens (default %(default)s)",
    )
    parser.add_argument(
        "--overlap-tokens",
        type=non_negative_int,
        default=DEFAULT_OVERLAP_TOKENS,
        help="tokens a passage repeats from the one before it, fewer than --chunk-tokens (default %(default)s)",
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=64, help="passages encoded per model call (default %(default)s)"
    )


def add_merge_option(parser: argparse.ArgumentParser) -> None:
    """``--no-merge`` of ``polysearch index`` and ``polysearch sync``."""
    parser.add_argument(
        "--no-merge",
        action="store_true",
        help="after an update, leave the segments as they are (`polysearch merge` merges them later)",
    )


def add_gate_options(parser: argparse.ArgumentParser) -> None:
    """``--gate`` and ``--gate-margin`` of ``polysearch index`` and ``polysearch sync`` (indexer.commands.gate)."""
    parser.add_argument(
        "--gate",
        type=Path,
        default=None,
        metavar="QUESTIONS.jsonl",
        help="score a new version on these questions (eval/questions.jsonl format) before it goes live; held, "
        "not live, if hit@5 or mrr@10 falls more than --gate-margin below the live version's "
        "(default: $POLYSEARCH_GATE; none)",
    )
    parser.add_argument(
        "--gate-margin",
        type=_fraction,
        default=None,
        help="how far a figure may fall before the gate holds a version (default: $POLYSEARCH_GATE_MARGIN or 0.02)",
    )


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.02, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text!r}")
    return value


def build_backend(choice: str) -> str:
    """The backend a build encodes with, locally or on a cluster: ``choice``, ``auto`` being the default."""
    return resolve_backend(choice)


def prepare_query_encoder(model: str | None, backend: str, index_dir: Path, *, quiet: bool) -> None:
    """Export the ONNX file that will encode queries if the build ran on another backend (torch-bf16),
    so the service's first start does not spend its seconds on it."""
    serving = serving_backend(backend)
    if serving == backend:
        return
    query_encoder = load_encoder(
        model, backend=serving, cache_dir=encoder_cache_dir(index_dir), notify=None if quiet else say
    )
    export = getattr(query_encoder, "export", None)
    if callable(export):
        export()


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
