"""Benchmarks that print their figures; the last line of each is one JSON object."""
