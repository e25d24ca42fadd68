"""Running the service for measurement: a child process on loopback and a small HTTP client."""
