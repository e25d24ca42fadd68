"""What a question set is run against: an index in-process, or a service over HTTP."""
