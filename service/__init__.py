"""polysearch HTTP service: routes, schemas, limits and error mapping over the indexer core."""
