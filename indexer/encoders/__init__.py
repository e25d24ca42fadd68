"""Embedding models: the interface (``base``), the registry of backends, one backend per module."""
