"""One inbound sync job (Fortnox → Upsales) as its handlers see it: the installation's
context, the lookups made once per job, link reads, and its commands carried out by the
interpreter on a writer; and the custom field ids the jobs of a process share.

Links are read and written in short sessions of their own, never held open across an API call;
a link is committed right after the Upsales write it records, so a crash between the two is
the only gap, and the next run closes it by finding the record (custom field, article number).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.core.expiring_reads import ExpiringReads
from upsales_fortnox.documents.order_field import DOCUMENT_URL_FIELD_ALIAS
from upsales_fortnox.documents.service import LinkSigning, document_url
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import AccountFieldIds
from upsales_fortnox.domain.references import (
    DOCUMENT_FIELD_ALIAS,
)
from upsales_fortnox.domain.sync_commands import Command
from upsales_fortnox.integrations.upsales.models import (
    CustomField,
    CustomFieldEntity,
    CustomValue,
    OrderStage,
    User,
)
from upsales_fortnox.links.repository.customer_create_notes import sent_customer_creates
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.sync import interpreter
from upsales_fortnox.sync.context import InstallationContext
from upsales_fortnox.sync.effects.link_sinks import CommittedLinks
from upsales_fortnox.sync.effects.live_writer import Writer
from upsales_fortnox.sync.inbound.price_list_cache import PriceListCache
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

FIELD_CACHE_SECONDS = 600.0
"""How long custom field ids found for an installation are reused before being looked up again."""


class CustomFieldCache:
    """Custom field ids by alias, per installation and entity; shared by the jobs of a process.

    Found ids are kept for :data:`FIELD_CACHE_SECONDS` (a field created later is seen after
    that), so most jobs need no lookup.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._ids: ExpiringReads[tuple[uuid.UUID, str], dict[str, int]] = ExpiringReads(
            FIELD_CACHE_SECONDS, clock
        )
        self._creating: dict[tuple[uuid.UUID, str], asyncio.Lock] = {}

    def creating(self, context: InstallationContext, entity: CustomFieldEntity) -> asyncio.Lock:
        """Held while missing fields of ``entity`` are looked up and created, so tasks that
        reach them at once (the orders of one refresh page) create each field once."""
        key = (context.installation_id, entity)
        return self._creating.setdefault(key, asyncio.Lock())

    async def ids(self, context: InstallationContext, entity: CustomFieldEntity) -> dict[str, int]:
        """Alias (upper case) → field id of ``entity``'s custom fields."""

        async def read() -> dict[str, int]:
            return fields_by_alias(await context.upsales.list_custom_fields(entity))

        return await self._ids.get((context.installation_id, entity), read)


def fields_by_alias(fields: Iterable[CustomField]) -> dict[str, int]:
    """Alias (upper case) → id, of the custom fields that have an alias."""
    return {(item.alias or "").strip().upper(): item.id for item in fields if item.alias}


@dataclass
class InboundJob:
    """One inbound job run: the installation's context plus what the job looks up once."""

    context: InstallationContext
    session_factory: DbSessionFactory
    fields: CustomFieldCache
    _users: list[User] | None = field(default=None, repr=False)
    _stages: list[OrderStage] | None = field(default=None, repr=False)
    link_signing: LinkSigning | None = None
    """Set where document links may be written (setting ``documentLinks``)."""
    price_lists: PriceListCache = field(default_factory=PriceListCache, repr=False)
    """The Upsales price lists, shared by the jobs of a process like :attr:`fields`."""
    writer: Writer = field(init=False, repr=False)
    """Where the job's commands take effect (links committed one by one)."""

    def __post_init__(self) -> None:
        links = CommittedLinks(self.session_factory, self.context.installation_id)
        self.writer = Writer(self.context.upsales, self.context.fortnox, links)

    @property
    def installation_id(self) -> uuid.UUID:
        return self.context.installation_id

    # --- lookups, cached for the job ----------------------------------------------------------

    async def account_field_ids(self) -> AccountFieldIds:
        ids = await self.fields.ids(self.context, "account")
        return AccountFieldIds.of(ids)

    async def document_field_id(self) -> int | None:
        return (await self.fields.ids(self.context, "order")).get(DOCUMENT_FIELD_ALIAS)

    async def document_url_value(self, kind: FortnoxType, number: str) -> CustomValue | None:
        """The order's ``FORTNOX_DOCUMENT_URL`` value for a document, when the setting is on
        and the account has the field."""
        if self.link_signing is None or not self.context.settings.document_links:
            return None
        field_id = (await self.fields.ids(self.context, "order")).get(DOCUMENT_URL_FIELD_ALIAS)
        if field_id is None:
            return None
        url = await document_url(
            self.session_factory, self.link_signing, self.installation_id, kind, number
        )
        return CustomValue(fieldId=field_id, value=url)

    async def users(self) -> list[User]:
        if self._users is None:
            self._users = await self.context.upsales.list_users()
        return self._users

    async def stages(self) -> list[OrderStage]:
        if self._stages is None:
            self._stages = await self.context.upsales.list_order_stages()
        return self._stages

    # --- links --------------------------------------------------------------------------------

    async def sent_customer_creates(self) -> list[tuple[int, Mapping[str, str | None]]]:
        """The companies whose new customer a won deal's noted create may have made, with the
        fields it sent (see :mod:`~upsales_fortnox.links.repository.customer_create_notes`)."""
        async with self.session_factory() as session:
            connection = await session.connection()
            return await sent_customer_creates(connection, self.installation_id)

    async def link_by_fortnox(self, fortnox_type: FortnoxType, fortnox_id: str) -> LinkView | None:
        async with self.session_factory() as session:
            return await LinkStore(session, self.installation_id).by_fortnox(
                fortnox_type, fortnox_id
            )

    async def upsales_ids_by_fortnox(
        self, fortnox_type: FortnoxType, fortnox_ids: list[str]
    ) -> dict[str, int]:
        async with self.session_factory() as session:
            return await LinkStore(session, self.installation_id).upsales_ids_by_fortnox(
                fortnox_type, fortnox_ids
            )

    async def linked_elsewhere(
        self,
        entity: LinkEntity,
        fortnox_type: FortnoxType,
        upsales_ids: list[int],
        fortnox_id: str,
    ) -> set[int]:
        """Those of ``upsales_ids`` linked to another Fortnox entity than ``fortnox_id``."""
        async with self.session_factory() as session:
            found = await LinkStore(session, self.installation_id).fortnox_ids_by_upsales(
                entity, fortnox_type, upsales_ids
            )
        return {upsales_id for upsales_id, other in found.items() if other != fortnox_id}

    # --- applying commands --------------------------------------------------------------------

    async def apply(self, commands: Sequence[Command]) -> list[int]:
        """Carry out ``commands`` in order; the ids of the Upsales records created."""
        return (await interpreter.apply(commands, self.writer)).created_ids
