"""The stream's token reads at a tenant update (:mod:`.token_reads`): side by side, but only a
few at once. A read that refreshes holds a database connection while Fortnox answers (the
credentials' row lock, up to the HTTP client's timeout): every active installation refreshing at
once (all tokens expired after a stop) took the whole pool from the workers and the API."""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid

import pytest

from upsales_fortnox.core.crypto import DecryptionError
from upsales_fortnox.domain.health_rules import CREDENTIALS_UNREADABLE
from upsales_fortnox.intake.fortnox_stream.recording import StreamTenant
from upsales_fortnox.intake.fortnox_stream.token_reads import READS_AT_ONCE, TokenReads
from upsales_fortnox.integrations.fortnox.errors import FortnoxUnavailable


class HeldReads:
    """Token reads that all wait for ``answer``, counting how many are under way at once."""

    def __init__(self) -> None:
        self.answer = asyncio.Event()
        self.under_way = 0
        self.most_at_once = 0
        self.started: list[uuid.UUID] = []

    async def access_token(self, installation_id: uuid.UUID) -> str:
        self.started.append(installation_id)
        self.under_way += 1
        self.most_at_once = max(self.most_at_once, self.under_way)
        try:
            await self.answer.wait()
        finally:
            self.under_way -= 1
        return f"token-{installation_id}"


async def test_only_a_few_reads_run_at_once_and_every_one_is_had_in_the_end() -> None:
    tenants = [StreamTenant(uuid.uuid4(), None) for _ in range(READS_AT_ONCE * 3)]
    source = HeldReads()
    reads = TokenReads(source)

    assert await reads.wanted(tenants, 0.01) == {}  # every read still under way
    assert source.most_at_once == READS_AT_ONCE
    assert len(source.started) == READS_AT_ONCE

    source.answer.set()
    wanted = await reads.wanted(tenants, 5.0)
    assert source.most_at_once == READS_AT_ONCE
    assert wanted == {tenant: f"token-{tenant.id}" for tenant in tenants}
    assert sorted(source.started) == sorted(t.id for t in tenants)  # each read once


class OneUnreadable:
    """Every installation's token, but ``broken``'s stored login does not decrypt (a SECRET_KEY
    other than the one it was stored with, a corrupted value)."""

    def __init__(self, broken: uuid.UUID) -> None:
        self.broken = broken

    async def access_token(self, installation_id: uuid.UUID) -> str:
        if installation_id == self.broken:
            raise DecryptionError("the stored value cannot be decrypted")
        return f"token-{installation_id}"


async def test_a_login_that_cannot_be_decrypted_leaves_the_others_followed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken, fine = StreamTenant(uuid.uuid4(), None), StreamTenant(uuid.uuid4(), None)
    reads = TokenReads(OneUnreadable(broken.id))

    with caplog.at_level(logging.WARNING):
        assert await reads.wanted([broken, fine], 5.0) == {fine: f"token-{fine.id}"}
        assert await reads.wanted([broken, fine], 5.0) == {fine: f"token-{fine.id}"}
    told = [r for r in caplog.records if getattr(r, "installation_id", None) == str(broken.id)]
    assert [getattr(r, "code", None) for r in told] == [CREDENTIALS_UNREADABLE]  # told once


class FailsWhenAnswered:
    """A read that fails (Fortnox refuses the refresh) once ``answer`` is set."""

    def __init__(self) -> None:
        self.answer = asyncio.Event()

    async def access_token(self, installation_id: uuid.UUID) -> str:
        await self.answer.wait()
        raise FortnoxUnavailable("Fortnox answered 503")


async def test_a_read_that_fails_after_the_last_update_is_no_unhandled_error_at_the_stop() -> None:
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    source = FailsWhenAnswered()
    reads = TokenReads(source)
    assert await reads.wanted([StreamTenant(uuid.uuid4(), None)], 0.01) == {}
    source.answer.set()  # the read fails after the last update: the stream stops before the next
    await asyncio.wait(set(reads._reads.values()))
    del reads  # the stopped stream lets go of its reads
    gc.collect()
    loop.set_exception_handler(None)
    assert unhandled == []
