"""Where the writer stores links: committed one by one (a sync job), or a page's together."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.sync_commands import SaveLink
from upsales_fortnox.links.repository.customer_create_notes import (
    customer_creates_to_wait_for,
    note_customer_create,
)
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.link import Link
from upsales_fortnox.sync.effects.link_sinks import CommittedLinks, PageLinks
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


async def _installation(session_factory: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with session_factory() as session:
        installation = Installation(name="Links", upsales_customer_id=1)
        session.add(installation)
        await session.commit()
        return installation.id


async def _links(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID
) -> set[tuple[str, str, int, str | None]]:
    async with session_factory() as session:
        rows = await session.execute(
            select(Link.fortnox_type, Link.fortnox_id, Link.upsales_id, Link.fingerprint).where(
                Link.installation_id == installation_id
            )
        )
        return {(t, f, u, fp) for t, f, u, fp in rows}


def _product(upsales_id: int, article: str) -> SaveLink:
    return SaveLink(LinkEntity.PRODUCT, upsales_id, FortnoxType.ARTICLE, article, f"fp-{article}")


async def test_committed_links_are_stored_at_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await _installation(session_factory)
    links = CommittedLinks(session_factory, installation_id)

    await links.save(_product(1, "A1"))
    await links.save(_product(2, "A2"))
    await links.remove(FortnoxType.ARTICLE, "A1")

    assert await _links(session_factory, installation_id) == {("article", "A2", 2, "fp-A2")}


async def test_page_links_are_stored_on_commit_only(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await _installation(session_factory)
    await CommittedLinks(session_factory, installation_id).save(_product(9, "OLD"))
    links = PageLinks(session_factory, installation_id)

    await links.save(_product(1, "A1"))
    await links.save(_product(2, "A2"))
    await links.remove(FortnoxType.ARTICLE, "OLD")
    assert await _links(session_factory, installation_id) == {("article", "OLD", 9, "fp-OLD")}

    await links.commit()
    await links.commit()  # nothing kept any more

    assert await _links(session_factory, installation_id) == {
        ("article", "A1", 1, "fp-A1"),
        ("article", "A2", 2, "fp-A2"),
    }


async def test_page_links_forget_the_customer_creates_of_their_companies(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A won deal of each of two companies sent the create of its customer; the import links
    one of the companies to a customer: its deals wait for that create no more, the other's
    still do."""
    installation_id = await _installation(session_factory)
    deal_of = {company: 9000 + company for company in (5, 6)}
    async with session_factory() as session, session.begin():
        connection = await session.connection()
        for company, deal in deal_of.items():
            sent = {"name": f"Company {company}"}
            assert await note_customer_create(
                connection, installation_id, deal, company, utcnow(), FortnoxType.INVOICE, sent
            )
    links = PageLinks(session_factory, installation_id)
    await links.save(SaveLink(LinkEntity.COMPANY, 5, FortnoxType.CUSTOMER, "C5", "fp-C5"))
    await links.save(_product(1, "A1"))

    await links.commit()

    async with session_factory() as session:
        connection = await session.connection()
        waited_for = {
            company: await customer_creates_to_wait_for(connection, installation_id, 1, company)
            for company in deal_of
        }
    assert waited_for[5] == []
    assert [create.upsales_order_id for create in waited_for[6]] == [deal_of[6]]
