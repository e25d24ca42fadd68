"""Fitting the answerer's and retriever's parameters on labelled questions: calibration and sweeps."""
