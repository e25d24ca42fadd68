"""Searching a loaded index: the retriever and the fusion of dense and keyword rankings."""
