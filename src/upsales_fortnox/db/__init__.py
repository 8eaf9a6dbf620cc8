"""Persistence: engine and sessions, column types and the SQLAlchemy models."""
