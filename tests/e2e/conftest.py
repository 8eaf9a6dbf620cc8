"""End-to-end fixtures: ``harness`` (see ``tests/e2e/harness.py``)."""

from tests.e2e.harness import harness

__all__ = ["harness"]
