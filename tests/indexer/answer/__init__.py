"""Tests of ``indexer.answer``."""
