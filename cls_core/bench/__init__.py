"""Benchmarks: speed and memory of the models, one look inside, the app under load."""
