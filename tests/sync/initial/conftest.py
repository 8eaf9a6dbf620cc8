"""Initial sync fixtures: the e2e ``harness``."""

from tests.e2e.harness import harness

__all__ = ["harness"]
