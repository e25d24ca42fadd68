"""Tests of ``indexer.store``."""
