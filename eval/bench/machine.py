"""What the benchmark ran on: CPU model, cores, memory, library versions."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask, not the host's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        pass
    return None


def describe() -> dict[str, object]:
    import faiss
    import torch

    memory = memory_gib()
    return {
        "cpu": cpu_model(),
        "cores": usable_cores(),
        "memory_gib": round(memory, 1) if memory is not None else None,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "faiss": faiss.__version__,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def one_line(info: dict[str, object]) -> str:
    load = info.get("load_average")
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, torch {info['torch']} "
        f"({info['torch_threads']} threads), faiss {info['faiss']}, python {info['python']}; load at start {load}"
    )
