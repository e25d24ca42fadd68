"""Tests of ``indexer.build``."""
