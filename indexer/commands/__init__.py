"""The ``polysearch`` command line: the entry point and the core subcommands (index, search, sync, merge)."""
