"""Tests of ``indexer.encoders``."""
