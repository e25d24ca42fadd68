"""Searching a loaded index: a query read once, the retriever, the fusion of dense and keyword rankings."""
