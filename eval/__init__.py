"""polysearch retrieval evaluation: question sets, metrics, reports and benchmarks."""
