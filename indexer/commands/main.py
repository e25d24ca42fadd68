"""The ``polysearch`` command line: subcommands come from the ``polysearch.commands`` entry points.

The core registers ``index``, ``search``, ``sync`` and ``merge``; ``service`` and ``eval`` register
their own, so the core never imports them and the package arrows stay one-way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from indexer.commands.options import Handler
from indexer.errors import PolysearchError
from indexer.logs import configure_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polysearch", description="Semantic search over news articles.")
    parser.add_argument("--log-level", default="WARNING", help="log level for JSON logs on stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    registered = {ep.name: ep for ep in entry_points(group="polysearch.commands")}
    for name in sorted(registered):
        registered[name].load()(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    handler: Handler = args.handler
    try:
        return handler(args)
    except PolysearchError as exc:
        print(f"polysearch {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # Disk full, permissions, a vanished directory: say which file, not a traceback.
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"polysearch {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"polysearch {args.command}: interrupted; the previous index is untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
