"""``python -m eval.faults``: run the fault campaign and print its table."""

from __future__ import annotations

import sys

from eval.faults.run import main

sys.exit(main())
