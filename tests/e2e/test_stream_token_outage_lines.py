"""The stream looks for each active installation's token every few seconds while it waits (and
every tenant refresh while connected): an installation whose token cannot be had (Fortnox's
login service down, say) is told once, one warning line with its id and the stable code, not
at every look; a change of cause is told again, and its recovery once."""

from __future__ import annotations

import logging
import uuid

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.stream_support import ListRecorder, consumer_for
from upsales_fortnox.integrations.fortnox.errors import FortnoxAuthError, FortnoxUnavailable
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.vocabulary import InstallationStatus

_LOGGER = "upsales_fortnox.intake.fortnox_stream.consumer"


class _Tokens:
    def __init__(self) -> None:
        self.failure: Exception | None = FortnoxUnavailable("token refresh: HTTP 503")

    async def access_token(self, installation_id: uuid.UUID) -> str:
        if self.failure is not None:
            raise self.failure
        return "an-access-token"


def _lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == _LOGGER]


async def test_a_token_that_cannot_be_had_is_told_once_per_cause_and_its_recovery_once(
    harness: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = _Tokens()
    consumer = consumer_for(harness, 1, ListRecorder(), tokens=tokens)
    caplog.set_level(logging.INFO, logger="upsales_fortnox")

    for _ in range(3):
        wanted, active = await consumer._wanted_tokens()
        assert wanted == {} and active == {harness.installation_id}

    [warned] = _lines(caplog)
    assert warned.levelno == logging.WARNING
    assert getattr(warned, "code", None) == "fortnox_unavailable"
    assert getattr(warned, "installation_id", None) == str(harness.installation_id)
    assert "an-access-token" not in caplog.text

    tokens.failure = FortnoxAuthError("refused")
    await consumer._wanted_tokens()
    await consumer._wanted_tokens()
    assert [getattr(r, "code", None) for r in _lines(caplog)][1:] == ["fortnox_auth_failed"]

    tokens.failure = None
    for _ in range(2):
        wanted, _ = await consumer._wanted_tokens()
        assert len(wanted) == 1
    recovered = _lines(caplog)[2:]
    assert [r.levelno for r in recovered] == [logging.INFO]
    assert getattr(recovered[0], "installation_id", None) == str(harness.installation_id)


async def _set_status(harness: SyncHarness, status: InstallationStatus) -> None:
    async with harness.services.session_factory() as session:
        installation = await session.get(Installation, harness.installation_id)
        assert installation is not None
        installation.status = status
        await session.commit()


async def test_an_installation_paused_while_its_token_was_missing_is_told_again_once_back(
    harness: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Paused while its token could not be had, then resumed with the same cause: the stream
    does not follow it, and says so again (the note is about the installation as it is now)."""
    tokens = _Tokens()
    consumer = consumer_for(harness, 1, ListRecorder(), tokens=tokens)
    caplog.set_level(logging.INFO, logger="upsales_fortnox")

    await consumer._wanted_tokens()
    await _set_status(harness, InstallationStatus.PAUSED)
    wanted, active = await consumer._wanted_tokens()
    assert (wanted, active) == ({}, set())
    await _set_status(harness, InstallationStatus.ACTIVE)
    await consumer._wanted_tokens()

    codes = [getattr(r, "code", None) for r in _lines(caplog) if r.levelno == logging.WARNING]
    assert codes == ["fortnox_unavailable", "fortnox_unavailable"]
