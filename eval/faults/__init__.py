"""The fault campaign: kill, corrupt, starve and overload the indexer and the service, and check what survives."""
