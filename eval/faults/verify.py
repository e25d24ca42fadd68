"""``python -m eval.faults.verify INDEX``: one line, ``ok <version>[ leftovers]`` or ``damaged: <why>``."""

from __future__ import annotations

import sys
from pathlib import Path

from indexer.errors import PolysearchError
from indexer.store.reader import verify_index


def main(argv: list[str]) -> int:
    try:
        health = verify_index(Path(argv[0]))
    except PolysearchError as exc:
        print(f"damaged: {exc}")
        return 1
    if not health.ok:
        print(f"damaged: {health.problem}")
        return 1
    print(f"ok {health.version}" + (" leftovers" if health.leftovers else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
