"""onnxruntime, imported only after its telemetry is switched off."""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def onnxruntime() -> ModuleType:
    """The ``onnxruntime`` module, with ``ORT_DISABLE_TELEMETRY=1`` set before its first import.

    onnxruntime 1.32 makes telemetry DNS lookups during quantisation and some seconds after a
    session is used unless this variable is in the environment when it is imported; its
    ``disable_telemetry_events()`` does not stop them. Nothing of ours may reach the network.
    """
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    ort = importlib.import_module("onnxruntime")
    ort.disable_telemetry_events()
    return ort
