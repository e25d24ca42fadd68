"""What this CPU computes in hardware, read without importing torch."""

from __future__ import annotations

from pathlib import Path

# CPU flags (``/proc/cpuinfo``) that mean bfloat16 dot products in hardware.
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The first CPU's feature flags; empty where the kernel does not list them (not Linux)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def native_bf16(flags: frozenset[str] | None = None) -> bool:
    """Whether this CPU computes bfloat16 products in hardware (so ``torch-bf16`` is fast here)."""
    return bool((cpu_flags() if flags is None else flags) & NATIVE_BF16_FLAGS)
