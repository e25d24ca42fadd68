"""Thin HTTP controllers: parse and validate, hand the work to the core, shape the response."""
