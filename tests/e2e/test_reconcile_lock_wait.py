"""A reconciliation run behind a transaction that holds a row it writes (its checkpoint, kept
locked by a transaction that does not end): on PostgreSQL it waits at most
``RECORD_LOCK_WAIT_SECONDS``, then fails, and its job is retried with the stable code
``database_lock_timeout``, instead of keeping the worker's slot and the installation's lease as
long as that transaction lasts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from tests.conftest import BACKENDS
from tests.e2e.harness import SyncHarness
from upsales_fortnox.core.db.errors import is_lock_timeout
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.jobs.failures import FailureKind, classify_failure
from upsales_fortnox.sync import reconcile
from upsales_fortnox.sync.reconcile import reconcile_installation

_GIVE_UP_SECONDS = 30.0
"""How long the test waits for the run before calling it hung (a failure, not timing)."""


@pytest.mark.postgres  # SQLite has no row locks (its writers wait busy_timeout at most)
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_held_checkpoint_fails_the_run_with_a_stable_code(
    harness: SyncHarness,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reconcile, "RECORD_LOCK_WAIT_SECONDS", 0.05)
    first = utcnow()
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: first)
    holder = await asyncpg.connect(database_url)
    try:
        async with holder.transaction():
            await holder.fetch(
                "SELECT 1 FROM reconcile_checkpoints WHERE installation_id = $1 FOR UPDATE",
                harness.installation_id,
            )
            later = first + timedelta(hours=1)
            with pytest.raises(Exception) as failed:
                async with asyncio.timeout(_GIVE_UP_SECONDS):
                    await reconcile_installation(
                        harness.services, harness.installation_id, clock=lambda: later
                    )
    finally:
        await holder.close()
    assert is_lock_timeout(failed.value), repr(failed.value)
    failure = classify_failure(failed.value)
    assert failure.kind is FailureKind.RETRY
    assert failure.reason.startswith("database_lock_timeout: ")
    again = first + timedelta(hours=2)  # the row free, the retried run goes through
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: again)
