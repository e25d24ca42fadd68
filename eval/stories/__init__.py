"""The story rules measured on labelled pairs: ``python -m eval.stories`` prints precision and recall per rule."""
