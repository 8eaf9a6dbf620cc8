"""Local stand-ins for the Fortnox and Upsales APIs, for demos, end-to-end tests and benchmarks."""
