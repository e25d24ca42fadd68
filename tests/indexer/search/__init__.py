"""Tests of ``indexer.search``."""
