"""Optional execution engines (Ray); the only package that imports them, and only lazily."""
