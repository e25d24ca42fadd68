"""One writer at a time per index: builds wait for each other, a merge runs only when no build does.

A build reads the live version, encodes for as long as it takes, then writes a version that
hard-links the live one's segments; a merge that replaced the live version meanwhile would
remove the folder those links come from. ``write_lock`` is an advisory ``flock`` on
``<index>/write.lock``, released by the kernel if its holder dies, so a crash never leaves it held.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

WRITE_LOCK = "write.lock"


@contextlib.contextmanager
def write_lock(index_dir: Path, *, wait: bool) -> Iterator[bool]:
    """Hold ``index_dir``'s write lock; yields ``False`` at once (holding nothing) if busy and not ``wait``."""
    with (index_dir / WRITE_LOCK).open("a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            log.info("index_busy_waiting", extra={"dir": str(index_dir)})
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
