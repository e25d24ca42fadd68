"""Tests of ``indexer.commands``."""
