"""Answering a question from retrieved passages: the answerer, evidence checks, question kinds per language."""
