"""Where articles come from: folders, JSONL exports, feeds and sitemaps, all yielding ``Article`` records."""
