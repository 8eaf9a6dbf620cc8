"""What an initial import runs with: the installation's clients and settings, its clocks, and
how many entities it works on at once."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.domain.initial_phases import FORTNOX_TYPES, Phase
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.integrations.fortnox.days import fortnox_today
from upsales_fortnox.integrations.ports import FortnoxPort, UpsalesPort
from upsales_fortnox.links.repository.links import LinkStore

CONCURRENCY: Final = 8
"""Entities of one page worked on at once (their API calls are paced by the clients). Enough
to keep the budgets busy: 8 in flight sustain Upsales' 20 requests per second at up to 400 ms a
request, and Fortnox's 5 at up to 1.6 s. More only adds connections, and the HTTP pool's
bookkeeping grows with them on every request (a fifth of the sync's CPU at 16)."""

Monotonic = Callable[[], float]


@dataclass
class ImportContext:
    installation_id: uuid.UUID
    settings: SyncSettings
    fortnox: FortnoxPort
    upsales: UpsalesPort
    session_factory: DbSessionFactory
    today: Callable[[], dt.date] = fortnox_today
    monotonic: Monotonic = time.monotonic
    concurrency: int = CONCURRENCY

    async def linked(self, phase: Phase, fortnox_ids: list[str]) -> dict[str, int]:
        """Fortnox id → linked Upsales id, for those of ``fortnox_ids`` (``phase``'s type)
        that have a link."""
        if not fortnox_ids:
            return {}
        async with self.session_factory() as session:
            return await LinkStore(session, self.installation_id).upsales_ids_by_fortnox(
                FORTNOX_TYPES[phase], fortnox_ids
            )
