"""The on-disk index: folder layout, writing and reading versions, segments, tables, BM25, FAISS, merging."""
