"""The ``polysearch`` command with the fake encoder behind every backend, in-process or as ``python -m tests.fake_cli``.

Tests run ``polysearch serve`` as a real process this way, so startup takes the fake's
milliseconds rather than the packaged model's seconds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import indexer.encoders.bf16_backend
import indexer.encoders.onnx_backend
import indexer.encoders.torch_backend
from indexer.commands.main import main
from tests.fakes import FakeEncoder

# Every backend the CLI may pick (torch, or the ONNX and bfloat16 ones of --backend auto).
BACKENDS = (
    (indexer.encoders.torch_backend, "SentenceTransformerEncoder"),
    (indexer.encoders.onnx_backend, "OnnxEncoder"),
    (indexer.encoders.bf16_backend, "Bf16Encoder"),
)


def fake_model(name: str | None = None, **options: object) -> FakeEncoder:
    return FakeEncoder()


def use_fake_model(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Make every backend load the fake; pass ``monkeypatch.setattr`` to undo it after a test."""
    for module, name in BACKENDS:
        setattr_(module, name, fake_model)


if __name__ == "__main__":
    use_fake_model()
    sys.exit(main(sys.argv[1:]))
