"""The stream's reads of the active installations' Fortnox tokens, side by side.

A read may refresh the token with Fortnox first, and Fortnox may answer that slowly (up to the
HTTP client's timeout). Read one after another, one slow refresh held up every other
installation's update, and the stream's events sat unrecorded meanwhile. Now every
installation's read runs at once and the update waits ``wait_seconds`` at most: an installation
whose read is still under way is left as it is for now (followed with the token sent before, or
not followed yet) and its read goes on, not cancelled, so a token Fortnox rotated meanwhile is
stored. The next update starts no second read beside it, and takes its result once it is done.

At most :data:`READS_AT_ONCE` reads are under way at a time, the others wait their turn: a read
that refreshes holds a database connection until Fortnox answers (the credentials' row lock),
and every installation refreshing at once (all tokens expired after a stop) would take the whole
pool from the workers and the API.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Collection
from typing import Final

from upsales_fortnox.core.crypto import DecryptionError
from upsales_fortnox.domain.health_rules import CREDENTIALS_UNREADABLE
from upsales_fortnox.intake.fortnox_stream.recording import StreamTenant, TokenSource
from upsales_fortnox.intake.fortnox_stream.token_notes import MissingTokens
from upsales_fortnox.integrations.errors import SyncError

READS_AT_ONCE: Final = 8
"""Token reads under way at the same time (a refresh holds a database connection)."""


class TokenReads:
    def __init__(self, tokens: TokenSource) -> None:
        self._tokens = tokens
        self._missing = MissingTokens()
        self._places = asyncio.Semaphore(READS_AT_ONCE)
        self._reads: dict[uuid.UUID, asyncio.Task[str]] = {}
        """Each installation's latest read, under way or done and not yet taken."""

    async def wanted(
        self, active: Collection[StreamTenant], wait_seconds: float
    ) -> dict[StreamTenant, str]:
        """The tokens of the ``active`` installations that could be read within
        ``wait_seconds``; those that cannot be had are told once per cause
        (:class:`~.token_notes.MissingTokens`)."""
        reads = {tenant: self._read(tenant.id) for tenant in active}
        if reads:
            await asyncio.wait(set(reads.values()), timeout=wait_seconds)
        wanted: dict[StreamTenant, str] = {}
        for tenant, read in reads.items():
            if not read.done():
                continue  # a refresh Fortnox answers slowly: taken at a later update
            del self._reads[tenant.id]
            try:
                wanted[tenant] = read.result()
            except SyncError as exc:
                self._missing.missing(tenant.id, exc.code)
            except DecryptionError:  # that installation's alone: the others are followed
                self._missing.missing(tenant.id, CREDENTIALS_UNREADABLE)
        active_ids = {tenant.id for tenant in active}
        self._missing.found({t.id for t in wanted}, active_ids)
        for installation_id in [key for key in self._reads if key not in active_ids]:
            if self._reads[installation_id].done():  # of an installation no longer active
                ended = self._reads.pop(installation_id)
                if not ended.cancelled():
                    ended.exception()  # taken, whatever it was
        return wanted

    def _read(self, installation_id: uuid.UUID) -> asyncio.Task[str]:
        read = self._reads.get(installation_id)
        if read is None:
            read = asyncio.ensure_future(self._one_at_its_turn(installation_id))
            read.add_done_callback(_noted)
            self._reads[installation_id] = read
        return read

    async def _one_at_its_turn(self, installation_id: uuid.UUID) -> str:
        async with self._places:
            return await self._tokens.access_token(installation_id)


def _noted(read: asyncio.Task[str]) -> None:
    """A read's failure is taken at the next update; one the stream stops before (or that ends
    after its installation left) is no unhandled error ("Task exception was never retrieved")."""
    if not read.cancelled():
        read.exception()
