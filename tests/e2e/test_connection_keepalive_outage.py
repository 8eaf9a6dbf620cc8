"""Fortnox's login service down while an idle login is kept alive is an expected failure: one
warning line per installation with the outage's stable code, no traceback; the login is kept
and the next round tries again."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.ops.token_keeper import keep_tokens_alive
from upsales_fortnox.vocabulary import InstallationStatus


async def test_fortnox_down_while_keeping_a_login_alive_is_one_line_without_a_trace(
    harness: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    async with harness.services.session_factory() as session:
        await session.execute(
            update(FortnoxCredentials).values(
                refreshed_at=utcnow() - timedelta(days=20),
                access_token_expires_at=utcnow() - timedelta(minutes=1),
            )
        )
        await session.commit()
    harness.fortnox.set_faults(fail_next=1000)
    caplog.set_level(logging.INFO, logger="upsales_fortnox")

    counts = await keep_tokens_alive(harness.services)

    assert counts == {"refreshed": 0, "refused": 0, "failed": 1}
    [line] = [r for r in caplog.records if r.name == "upsales_fortnox.ops.token_keeper"]
    assert line.levelno == logging.WARNING
    assert line.exc_info is None and line.exc_text is None
    assert getattr(line, "code", None) == "fortnox_unavailable"
    assert getattr(line, "installation_id", None) == str(harness.installation_id)
    async with harness.services.session_factory() as session:
        installation = await session.get(Installation, harness.installation_id)
    assert installation is not None and installation.status == InstallationStatus.ACTIVE

    harness.fortnox.set_faults(fail_next=0)
    assert await keep_tokens_alive(harness.services) == {"refreshed": 1, "refused": 0, "failed": 0}
