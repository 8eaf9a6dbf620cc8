"""End-to-end fixtures: ``harness`` (see ``tests/e2e/harness.py``), and ``linked``: the harness
with the demo's products linked to their articles (won deals in steady state)."""

import pytest

from tests.e2e.harness import SyncHarness, harness
from tests.e2e.outbound_support import link_demo_products

__all__ = ["harness", "linked"]


@pytest.fixture
async def linked(harness: SyncHarness) -> SyncHarness:
    await link_demo_products(harness)
    return harness
