"""The ``polysearch`` command line: the core's subcommands, then those of the ``polysearch.commands`` entry points.

The core's own (``index``, ``search``, ``ask``, ``sync``, ``merge``) are registered here directly, so
they work from a source checkout whatever metadata is installed; ``service`` and ``eval`` plug theirs
in as entry points, so the core never imports them and the package arrows stay one-way.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path

from indexer.commands.ask import register_ask
from indexer.commands.index import register_index
from indexer.commands.merge import register as register_merge
from indexer.commands.options import Handler, Registrar
from indexer.commands.report import register as register_report
from indexer.commands.search import register_search
from indexer.commands.sync import register as register_sync
from indexer.errors import PolysearchError
from indexer.logs import configure_logging

CORE_COMMANDS: dict[str, Registrar] = {
    "ask": register_ask,
    "index": register_index,
    "merge": register_merge,
    "report": register_report,
    "search": register_search,
    "sync": register_sync,
}
# What a shell reports for a command that SIGPIPE ended (128 + 13), as for `yes | head` under pipefail.
EXIT_BROKEN_PIPE = 141
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LOG_LEVEL = "WARNING"
# A source checkout run without being installed (python -m indexer.commands) still knows its version.
_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def package_version() -> str:
    """The installed distribution's version, else the one pyproject.toml declares."""
    try:
        return version("polysearch")
    except PackageNotFoundError:
        pass
    try:
        project = tomllib.loads(_PYPROJECT.read_text(encoding="utf-8"))["project"]
        return str(project["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(LOG_LEVELS)} (any case), got {text!r}")
    return level


def add_global_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    """Options every subcommand accepts, before or after its name.

    On a subcommand the default is ``SUPPRESS``: argparse copies a subcommand's values over the
    top level's, so only a value actually given after the subcommand may replace one given before.
    """
    parser.add_argument(
        "--log-level",
        type=log_level,
        default=default,
        metavar="LEVEL",
        help=f"level of the JSON log lines on stderr: {', '.join(LOG_LEVELS)} (default {DEFAULT_LOG_LEVEL}; "
        "`serve` defaults to $POLYSEARCH_LOG_LEVEL or INFO)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polysearch", description="Semantic search over news articles.")
    parser.add_argument(
        "--version", action="version", version=f"polysearch {package_version()}", help="print the version and exit"
    )
    add_global_options(parser, default=None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # An install made before a core command moved here may still list it as an entry point.
    plugins = {ep.name: ep for ep in entry_points(group="polysearch.commands") if ep.name not in CORE_COMMANDS}
    registrars = {**CORE_COMMANDS, **{name: plugin.load() for name, plugin in plugins.items()}}
    for name in sorted(registrars):
        registrars[name](commands)
    for subcommand in commands.choices.values():
        add_global_options(subcommand, default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level or DEFAULT_LOG_LEVEL)
    handler: Handler = args.handler
    try:
        return handler(args)
    except PolysearchError as exc:
        print(f"polysearch {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader stopped early (`polysearch search ... | head`): not an error worth a line.
        # Python flushes stdout again at exit; that flush must not fail on the closed pipe too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
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
