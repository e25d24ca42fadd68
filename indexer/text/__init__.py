"""Language-aware text analysis: dates, and what each language needs for search and answers."""
