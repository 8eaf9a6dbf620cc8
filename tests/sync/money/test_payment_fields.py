"""The order fields the payment status is written to: found by alias, or created once, even
when several orders of the refresh of the linked orders reach them at once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.integrations.upsales.errors import UpsalesError
from upsales_fortnox.integrations.upsales.models import CustomField
from upsales_fortnox.sync.context import InstallationContext
from upsales_fortnox.sync.inbound.inbound_job import CustomFieldCache, InboundJob
from upsales_fortnox.sync.money.fields import PAYMENT_FIELDS, payment_field_ids


class _Fields:
    """Upsales' order fields; each call lets other tasks run, as a request does, and an alias
    already used is refused, as Upsales refuses it."""

    def __init__(self) -> None:
        self.fields: list[CustomField] = []
        self.created: list[str] = []

    async def list_custom_fields(self, entity: str) -> list[CustomField]:
        await asyncio.sleep(0)
        return list(self.fields)

    async def create_custom_field(
        self, entity: str, *, name: str, alias: str, datatype: str
    ) -> CustomField:
        await asyncio.sleep(0)
        self.created.append(alias)
        if any(field.alias == alias for field in self.fields):
            raise UpsalesError(f"alias: {alias} is already used")
        made = CustomField(id=100 + len(self.fields), alias=alias, name=name)
        self.fields.append(made)
        return made


def _job(upsales: _Fields) -> InboundJob:
    context: Any = InstallationContext(
        installation_id=uuid.uuid4(),
        fortnox_tenant_id=None,
        settings=SyncSettings(payment_status=True),
        fortnox=None,
        upsales=upsales,
    )
    session_factory: Any = None
    return InboundJob(context, session_factory, CustomFieldCache())


async def test_orders_refreshed_at_once_create_each_payment_field_once() -> None:
    upsales = _Fields()
    job = _job(upsales)

    found = await asyncio.gather(*(payment_field_ids(job) for _ in range(4)))

    assert sorted(upsales.created) == sorted(PAYMENT_FIELDS)
    expected = {field.alias: field.id for field in upsales.fields}
    assert all(ids == expected for ids in found)
