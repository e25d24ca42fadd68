"""``python -m eval.faults.child SEEDS OUT``: one index build with the hashing encoder, to be killed.

Errors end it as ``polysearch index`` ends: one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

from eval.faults.hashing import HashingEncoder
from indexer.build.builder import BuildOptions, build_index
from indexer.errors import PolysearchError

OPTIONS = BuildOptions(chunk_tokens=64, overlap_tokens=8)


def main(argv: list[str]) -> int:
    seeds, out = Path(argv[0]), Path(argv[1])
    try:
        report = build_index(seeds, out, HashingEncoder(), OPTIONS)
    except PolysearchError as exc:
        print(f"build: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"build: error: {exc.strerror or exc} ({exc.filename})", file=sys.stderr)
        return 2
    print(report.version)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
