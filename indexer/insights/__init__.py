"""What staff ask the archive: the query log's format on disk, and the reports read from it."""
