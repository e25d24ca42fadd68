"""The evaluation's own error: bad question files, unreachable services, unusable answers."""

from __future__ import annotations

from indexer.errors import PolysearchError


class EvalError(PolysearchError):
    """The evaluation cannot run as asked; the CLI prints it as one line and exits 2."""
