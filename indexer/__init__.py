"""polysearch core: reading articles, chunking, embedding, the on-disk index and retrieval."""

from __future__ import annotations

__version__ = "0.1.0"
