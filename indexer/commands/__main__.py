"""``python -m indexer.commands``: the ``polysearch`` command without its installed script."""

import sys

from indexer.commands.main import main

sys.exit(main())
