"""The notes of a deal's customer creates on its intent (``document_intents``), as the company's
deals read them: renewed by a deal's next create, forgotten only for the create they were
made for, and kept on an intent of the type the deal is sent as."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from tests.e2e.harness import SyncHarness
from tests.e2e.won_deal_support import earlier_creates_settle
from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.links.repository.customer_create_notes import (
    CustomerCreate,
    sent_customer_creates,
)
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.models.link import DocumentIntent
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

COMPANY = 77
SENT = {"name": "Nordisk Verkstad AB", "organisation_number": "556677-8899"}
FIRST, OTHER = 9001, 9002


async def _attempt(harness: SyncHarness, order_id: int) -> WonDealLinks:
    """A run of a won deal of ``COMPANY`` that has read its links."""
    links = WonDealLinks(harness.services.session_factory, harness.installation_id)
    await links.read(order_id, COMPANY, [], intent=FortnoxType.INVOICE)
    return links


async def _the_one_noted(links: WonDealLinks) -> CustomerCreate | None:
    """What ``OTHER`` (which noted nothing itself) waits for: another deal's create, if any."""
    noted = await links.customer_creates_to_wait_for(OTHER, COMPANY)
    assert len(noted) <= 1
    return noted[0] if noted else None


async def test_a_deals_next_create_is_waited_for_afresh(linked: SyncHarness) -> None:
    """Another deal stored when to search again after the first create; the deal then sends
    again: the wait stored for the earlier create does not speak for the new one."""
    harness = linked
    first = await _attempt(harness, FIRST)
    await first.customer_create_sent(FIRST, COMPANY, SENT)
    other = await _attempt(harness, OTHER)
    noted = await _the_one_noted(other)
    assert noted is not None and noted.upsales_order_id == FIRST
    assert await other.search_customer_again_at(noted, utcnow() + timedelta(seconds=60))

    await earlier_creates_settle(harness)  # the deal sends again only once that wait passed
    again = await _attempt(harness, FIRST)
    assert await again.customer_create_sent(FIRST, COMPANY, SENT)

    renewed = await _the_one_noted(other)
    assert renewed is not None and renewed.settles_at is None
    assert renewed.sent_at > noted.sent_at


async def test_a_refusal_forgets_only_the_create_it_answers(linked: SyncHarness) -> None:
    """An attempt's create refused after a later attempt of the deal sent its own: the later
    note stays; the later attempt's own refusal removes it."""
    harness = linked
    stalled = await _attempt(harness, FIRST)
    await stalled.customer_create_sent(FIRST, COMPANY, SENT)
    await _wait_stored_and_passed(harness)  # the later attempt waited for the stalled one's
    later = await _attempt(harness, FIRST)
    assert await later.customer_create_sent(FIRST, COMPANY, SENT)
    other = await _attempt(harness, OTHER)

    await stalled.customer_create_refused()

    kept = await _the_one_noted(other)
    assert kept is not None and kept.upsales_order_id == FIRST
    await later.customer_create_refused()
    assert await other.customer_creates_to_wait_for(OTHER, COMPANY) == []


async def _wait_stored_and_passed(harness: SyncHarness) -> None:
    async with harness.services.session_factory() as session:
        await session.execute(
            update(DocumentIntent)
            .where(DocumentIntent.customer_sent_at.is_not(None))
            .values(customer_settles_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()


async def test_a_deal_notes_no_create_while_its_earlier_one_may_land(linked: SyncHarness) -> None:
    """A run of the deal that would note a create while another run's create of it may still
    land (no wait stored for it, or one not yet passed) notes nothing, and may send nothing."""
    harness = linked
    first = await _attempt(harness, FIRST)
    assert await first.customer_create_sent(FIRST, COMPANY, SENT)
    stalled = await _attempt(harness, FIRST)

    assert not await stalled.customer_create_sent(FIRST, COMPANY + 1, SENT)

    other = await _attempt(harness, OTHER)
    noted = await _the_one_noted(other)
    assert noted is not None and noted.upsales_order_id == FIRST
    assert await other.search_customer_again_at(noted, utcnow() + timedelta(seconds=60))
    assert not await stalled.customer_create_sent(FIRST, COMPANY + 1, SENT)
    await _wait_stored_and_passed(harness)
    assert await stalled.customer_create_sent(FIRST, COMPANY + 1, SENT)


async def _link_order(session_factory: DbSessionFactory, harness: SyncHarness) -> None:
    async with session_factory() as session:
        await LinkStore(session, harness.installation_id).save(
            LinkEntity.ORDER, FIRST, FortnoxType.OFFER, "5", None
        )
        await session.commit()


async def test_a_deal_linked_to_an_offer_notes_on_an_intent_of_the_type_it_is_sent_as(
    linked: SyncHarness,
) -> None:
    """An order linked to a Fortnox offer, with no intent, creates its company's customer: the
    intent made to hold the note is of the type the deal is sent as, never an offer."""
    harness = linked
    await _link_order(harness.services.session_factory, harness)
    links = WonDealLinks(harness.services.session_factory, harness.installation_id)
    await links.read(FIRST, COMPANY, [], intent=FortnoxType.ORDER)

    await links.customer_create_sent(FIRST, COMPANY, SENT)

    async with harness.services.session_factory() as session:
        intent = await session.get(DocumentIntent, (harness.installation_id, FIRST))
    assert intent is not None and intent.fortnox_type == FortnoxType.ORDER.value
    assert intent.customer_company_id == COMPANY


async def test_a_note_keeps_its_sent_fields_until_the_company_is_linked(
    linked: SyncHarness,
) -> None:
    """The fields a create sent are what a changed company's customer is looked for by; once the
    company is linked they go with the note (as SQL NULL, not JSON's null)."""
    harness = linked
    first = await _attempt(harness, FIRST)
    await first.customer_create_sent(FIRST, COMPANY, SENT)
    (noted,) = await first.customer_creates_to_wait_for(FIRST, COMPANY)
    assert noted.company_id == COMPANY and noted.sent_fields == SENT
    async with harness.services.session_factory() as session:
        connection = await session.connection()
        assert await sent_customer_creates(connection, harness.installation_id) == [(COMPANY, SENT)]

    await first.save_company_link(COMPANY, "12", None, None)

    async with harness.services.session_factory() as session:
        connection = await session.connection()
        assert await sent_customer_creates(connection, harness.installation_id) == []
        left = await session.scalar(
            select(func.count()).where(DocumentIntent.customer_sent_fields.is_not(None))
        )
    assert left == 0
