"""Where the writer stores links: each committed at once (a sync job), or a page's together
(the initial import), or held back until an entity's last write is done (:class:`HeldLinks`)."""

from __future__ import annotations

import uuid
from typing import Protocol

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.link_view import marks_cancelled
from upsales_fortnox.domain.sync_commands import SaveLink
from upsales_fortnox.links.repository.company_links import company_linked
from upsales_fortnox.links.repository.customer_create_notes import forget_company_customer_creates
from upsales_fortnox.links.repository.document_intents import forget_cancelled_intents
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


class LinkSink(Protocol):
    async def save(self, link: SaveLink) -> None: ...
    async def remove(self, fortnox_type: FortnoxType, fortnox_id: str) -> None: ...


class CommittedLinks:
    """Each link saved in a short session of its own and committed at once, never held open
    across an API call: a link is committed right after the Upsales write it records, so a
    crash between the two is the only gap (the next run finds the record and closes it)."""

    def __init__(self, session_factory: DbSessionFactory, installation_id: uuid.UUID) -> None:
        self._session_factory = session_factory
        self._installation_id = installation_id

    async def save(self, link: SaveLink) -> None:
        async with self._session_factory() as session:
            await LinkStore(session, self._installation_id).save(
                link.entity,
                link.upsales_id,
                link.fortnox_type,
                link.fortnox_id,
                link.fingerprint,
                synced_fields=link.synced_fields,
            )
            if link.entity is LinkEntity.COMPANY:
                await company_linked(
                    session, self._installation_id, link.upsales_id, link.sync_upsales_company
                )
            if marks_cancelled(link):
                await forget_cancelled_intents(
                    await session.connection(), self._installation_id, [link.upsales_id], utcnow()
                )
            await session.commit()

    async def remove(self, fortnox_type: FortnoxType, fortnox_id: str) -> None:
        async with self._session_factory() as session:
            await LinkStore(session, self._installation_id).remove(fortnox_type, fortnox_id)
            await session.commit()


class PageLinks:
    """Links kept until :meth:`commit` stores them in one transaction (one statement for the
    saves): the initial import commits a page's links once its writes are done. As any company
    link does, the page's forget their companies' customer creates noted by won deals
    (:func:`.company_links.company_linked`; the import queues no company sync)."""

    def __init__(self, session_factory: DbSessionFactory, installation_id: uuid.UUID) -> None:
        self._session_factory = session_factory
        self._installation_id = installation_id
        self._saved: list[SaveLink] = []
        self._removed: list[tuple[FortnoxType, str]] = []

    async def save(self, link: SaveLink) -> None:
        if link.sync_upsales_company:
            raise ValueError("links saved together queue no company sync")
        self._saved.append(link)

    async def remove(self, fortnox_type: FortnoxType, fortnox_id: str) -> None:
        self._removed.append((fortnox_type, fortnox_id))

    async def commit(self) -> None:
        """Store what was kept (removals first), then forget it."""
        saved, removed = self._saved, self._removed
        self._saved, self._removed = [], []
        if not saved and not removed:
            return
        async with self._session_factory() as session, session.begin():
            store = LinkStore(session, self._installation_id)
            for fortnox_type, fortnox_id in removed:
                await store.remove(fortnox_type, fortnox_id)
            await store.save_many(saved)
            companies = [link.upsales_id for link in saved if link.entity is LinkEntity.COMPANY]
            connection = await session.connection()
            await forget_company_customer_creates(connection, self._installation_id, companies)
            cancelled = [link.upsales_id for link in saved if marks_cancelled(link)]
            await forget_cancelled_intents(connection, self._installation_id, cancelled, utcnow())


class HeldLinks:
    """Links held back until :meth:`release` passes them on to ``sink``: the initial import
    holds an article's product link until the product's stock and currency prices are written
    too, so a run that fails in between imports the article again (finding its product by
    article number) rather than leave it linked without them."""

    def __init__(self, sink: LinkSink) -> None:
        self._sink = sink
        self._saved: list[SaveLink] = []
        self._removed: list[tuple[FortnoxType, str]] = []

    async def save(self, link: SaveLink) -> None:
        self._saved.append(link)

    async def remove(self, fortnox_type: FortnoxType, fortnox_id: str) -> None:
        self._removed.append((fortnox_type, fortnox_id))

    async def release(self) -> None:
        """Pass on what was held (removals first), once."""
        saved, removed = self._saved, self._removed
        self._saved, self._removed = [], []
        for fortnox_type, fortnox_id in removed:
            await self._sink.remove(fortnox_type, fortnox_id)
        for link in saved:
            await self._sink.save(link)
