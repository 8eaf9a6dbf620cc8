"""Encryption at rest, constant-time comparison and redaction of secrets."""
