"""Story detection: which articles are versions of one story (declared links, declared keys, content)."""
