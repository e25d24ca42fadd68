"""Building the index: chunking articles into passages, encoding what changed, a sync pass over sources."""
