"""What the subcommands share: the default folders, number checks, and the build's encoder options."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

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
        default=AUTO,
        help="encoder backend, recorded in the manifest (default auto: torch-bf16 on a CPU with bfloat16 "
        "instructions, else onnx; onnx with --engine ray); an index built in bfloat16 is served by onnx",
    )


def add_merge_option(parser: argparse.ArgumentParser) -> None:
    """``--no-merge`` of ``polysearch index`` and ``polysearch sync``."""
    parser.add_argument(
        "--no-merge",
        action="store_true",
        help="after an update, leave the segments as they are (`polysearch merge` merges them later)",
    )


def build_backend(choice: str, *, engine: str) -> str:
    """The backend a build encodes with: ``choice``, where ``auto`` is decided by this CPU; a
    cluster's workers may have other CPUs, so there ``auto`` is the portable default (onnx)."""
    return DEFAULT_BACKEND if engine == "ray" and choice == AUTO else resolve_backend(choice)


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
