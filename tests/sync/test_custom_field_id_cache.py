"""The cache of Upsales custom field ids keeps one row per alias, whoever stores it: two runs
that look the ids up at once (won deals side by side, or the API and a worker) both store them,
neither failing on the other's row."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import add_installation
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.models import CustomField
from upsales_fortnox.links.repository.custom_field_ids import cached_field_ids
from upsales_fortnox.sync.field_ids import custom_field_ids

SAFETY_TIMEOUT = 10


class _FieldsLookedUpTogether:
    """Upsales' list of custom fields, answered to each caller once all have asked."""

    def __init__(self, callers: int) -> None:
        self._all_asked = asyncio.Barrier(callers)

    async def list_custom_fields(self, entity: Any) -> list[CustomField]:
        await asyncio.wait_for(self._all_asked.wait(), SAFETY_TIMEOUT)
        return [CustomField.model_validate({"id": 7, "alias": "FORTNOX_DOCUMENT_URL"})]


async def test_two_runs_that_look_up_at_once_both_store_the_ids(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await add_installation(session_factory)
    upsales = cast(UpsalesPort, _FieldsLookedUpTogether(callers=3))
    aliases = ["FORTNOX_DOCUMENT_URL", "FORTNOX_INVOICE_NUMBER"]

    found = await asyncio.gather(
        *(
            custom_field_ids(session_factory, installation_id, upsales, "order", aliases)
            for _ in range(3)
        )
    )

    expected = {"FORTNOX_DOCUMENT_URL": 7, "FORTNOX_INVOICE_NUMBER": None}
    assert found == [expected] * 3
    async with session_factory() as session:
        cached = await cached_field_ids(session, installation_id, "order")
    assert {row.alias: row.field_id for row in cached} == expected
