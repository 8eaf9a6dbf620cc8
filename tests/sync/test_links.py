"""The link store keeps one link per entity pair and finds it from either side."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.domain.link_view import LinkView, cancelled_fingerprint
from upsales_fortnox.links.repository.link_reads import ended_order_documents
from upsales_fortnox.links.repository.links import IDS_PER_QUERY, LinkStore, save_link
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


async def test_save_find_update_and_remove(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        installation = Installation(name="Acme")
        session.add(installation)
        await session.flush()
        links = LinkStore(session, installation.id)

        await links.save(LinkEntity.COMPANY, 10, FortnoxType.CUSTOMER, "1001", "f1")
        await links.save(LinkEntity.COMPANY, 10, FortnoxType.CUSTOMER, "1001", "f2")
        await links.save(LinkEntity.ORDER, 5, FortnoxType.OFFER, "7", None)
        await links.save(LinkEntity.ORDER, 5, FortnoxType.ORDER, "9", None)
        await session.commit()

        company = await links.by_fortnox(FortnoxType.CUSTOMER, "1001")
        assert company is not None and company.upsales_id == 10 and company.fingerprint == "f2"
        offer = await links.by_upsales(LinkEntity.ORDER, 5, FortnoxType.OFFER)
        assert offer is not None and offer.fortnox_id == "7"
        assert await links.upsales_ids_by_fortnox(FortnoxType.CUSTOMER, ["1001", "404"]) == {
            "1001": 10
        }
        assert await links.fortnox_ids_by_upsales(LinkEntity.ORDER, FortnoxType.ORDER, [5, 6]) == {
            5: "9"
        }

        await links.remove(FortnoxType.CUSTOMER, "1001")
        await session.commit()
        assert await links.by_upsales(LinkEntity.COMPANY, 10) is None


async def test_one_fortnox_entity_cannot_be_linked_twice(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        installation = Installation(name="Acme")
        session.add(installation)
        await session.flush()
        links = LinkStore(session, installation.id)
        await links.save(LinkEntity.COMPANY, 10, FortnoxType.CUSTOMER, "1001", None)
        with pytest.raises(IntegrityError):
            await links.save(LinkEntity.COMPANY, 11, FortnoxType.CUSTOMER, "1001", None)


async def test_save_refreshes_a_link_already_loaded_in_the_session(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        installation = Installation(name="Acme")
        session.add(installation)
        await session.flush()
        links = LinkStore(session, installation.id)
        await links.save(
            LinkEntity.COMPANY, 10, FortnoxType.CUSTOMER, "1001", "f1", synced_fields={"a": 1}
        )
        loaded = await session.scalar(select(Link).where(Link.upsales_id == 10))
        assert loaded is not None and loaded.fingerprint == "f1"

        saved = await links.save(LinkEntity.COMPANY, 10, FortnoxType.CUSTOMER, "1002", "f2")

        assert (loaded.fortnox_id, loaded.fingerprint, loaded.synced_fields) == (
            "1002",
            "f2",
            {"a": 1},
        )
        assert saved.synced_fields == {"a": 1}
        assert await session.scalar(select(func.count()).select_from(Link)) == 1


async def test_save_many_inserts_and_updates_in_one_statement(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        installation = Installation(name="Acme")
        session.add(installation)
        await session.flush()
        links = LinkStore(session, installation.id)
        await links.save(LinkEntity.COMPANY, 10, FortnoxType.CUSTOMER, "1001", "old")
        await session.commit()

        saved = await links.save_many(
            [
                LinkView(LinkEntity.COMPANY, 10, FortnoxType.CUSTOMER, "1010", "new"),
                LinkView(LinkEntity.COMPANY, 11, FortnoxType.CUSTOMER, "1011", "first"),
                LinkView(LinkEntity.PRODUCT, 11, FortnoxType.ARTICLE, "A-1", None),
                LinkView(LinkEntity.COMPANY, 11, FortnoxType.CUSTOMER, "1012", "second"),
            ]
        )
        await session.commit()

        assert saved == 3
        updated = await links.by_upsales(LinkEntity.COMPANY, 10)
        assert updated is not None
        assert (updated.fortnox_id, updated.fingerprint) == ("1010", "new")
        assert await links.by_fortnox(FortnoxType.CUSTOMER, "1001") is None
        later = await links.by_upsales(LinkEntity.COMPANY, 11)
        assert later is not None and (later.fortnox_id, later.fingerprint) == ("1012", "second")
        assert await links.upsales_ids_by_fortnox(FortnoxType.ARTICLE, ["A-1"]) == {"A-1": 11}
        assert await links.save_many([]) == 0


async def test_save_many_refuses_a_fortnox_entity_linked_elsewhere(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        installation = Installation(name="Acme")
        session.add(installation)
        await session.flush()
        links = LinkStore(session, installation.id)
        await links.save(LinkEntity.COMPANY, 10, FortnoxType.CUSTOMER, "1001", None)
        with pytest.raises(IntegrityError):
            await links.save_many(
                [LinkView(LinkEntity.COMPANY, 11, FortnoxType.CUSTOMER, "1001", None)]
            )


async def test_save_link_on_a_connection_creates_and_updates(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        installation = Installation(name="Acme")
        session.add(installation)
        await session.commit()
    engine = session_factory.kw["bind"]
    async with engine.begin() as connection:
        await save_link(
            connection, installation.id, LinkEntity.COMPANY, 10, FortnoxType.CUSTOMER, "1", "f1",
            synced_fields={"a": 1},
        )  # fmt: skip
        await save_link(
            connection, installation.id, LinkEntity.COMPANY, 10, FortnoxType.CUSTOMER, "2", "f2"
        )
    async with engine.begin() as connection:
        with pytest.raises(IntegrityError):
            await save_link(
                connection, installation.id, LinkEntity.COMPANY, 11, FortnoxType.CUSTOMER, "2", None
            )
    async with session_factory() as session:
        link = await LinkStore(session, installation.id).by_upsales(LinkEntity.COMPANY, 10)
    assert link is not None
    assert (link.fortnox_id, link.fingerprint, link.synced_fields) == ("2", "f2", {"a": 1})


async def test_a_lookup_of_more_ids_than_one_query_takes_finds_each_link(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Ids beyond what one ``IN`` list carries (PostgreSQL's driver takes 32,767 parameters)
    are looked up a part at a time; a link in any part is found, a repeated id once."""
    async with session_factory() as session:
        installation = Installation(name="Acme")
        session.add(installation)
        await session.flush()
        links = LinkStore(session, installation.id)
        for product_id, article in ((1, "A1"), (IDS_PER_QUERY + 1, "A2"), (40_000, "A3")):
            await links.save(LinkEntity.PRODUCT, product_id, FortnoxType.ARTICLE, article, None)
        await session.commit()

        wanted = [*range(1, 40_001), 1, 10**12]
        found = await links.fortnox_ids_by_upsales(LinkEntity.PRODUCT, FortnoxType.ARTICLE, wanted)

    assert found == {1: "A1", IDS_PER_QUERY + 1: "A2", 40_000: "A3"}


async def test_a_cancellation_still_moving_its_order_to_lost_is_not_reported_synced(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A link whose sync marked it before moving the order to lost (a run that died before the
    Upsales write) does not read as a synced cancellation: the report then tells the document
    closed and the deal not lost, repaired by the document's sync, not by sending the deal."""
    sha = "a" * 64
    async with session_factory() as session:
        installation = Installation(name="Acme")
        session.add(installation)
        await session.flush()
        links = LinkStore(session, installation.id)
        moving = cancelled_fingerprint(sha, moving_to_lost=True)
        await links.save(LinkEntity.ORDER, 5, FortnoxType.INVOICE, "7", moving)
        await links.save(LinkEntity.ORDER, 6, FortnoxType.INVOICE, "8", cancelled_fingerprint(sha))
        found = cancelled_fingerprint(sha, found_lost=True)
        await links.save(LinkEntity.ORDER, 7, FortnoxType.INVOICE, "9", found)
        await session.commit()
        installation_id = installation.id

    ended = await ended_order_documents(session_factory, installation_id, [FortnoxType.INVOICE])

    assert ended == {(FortnoxType.INVOICE, "8"), (FortnoxType.INVOICE, "9")}
