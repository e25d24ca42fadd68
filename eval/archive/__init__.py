"""The archive-scale corpus: distractor articles from gensim's test data, indexed beside the seeds."""
