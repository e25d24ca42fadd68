"""``polysearch bench``: latency, throughput, indexing and growth measured against the model's own floor."""
