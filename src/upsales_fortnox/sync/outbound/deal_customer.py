"""The Fortnox customer of a won deal's company: linked, matched, or created (shell).

The company link's fingerprint is the Fortnox → Upsales sync's
:func:`~upsales_fortnox.domain.inbound.companies.customer_fingerprint` of the customer as written,
so that sync recognises our write coming back as a Fortnox event; ``synced_fields`` holds the
company fields agreed on both sides (see :mod:`.merge`).

Steady state costs nothing: a linked company is answered from the database. Otherwise the
company is read from Upsales, Fortnox is searched by organisation number (or, without one, by
exact name), and the match is linked or a new customer is created and linked. The matches are
read whole, lowest number first, until an active one is read (the one linked, read anyway): an
inactive customer is passed over for an active one, and when every match is inactive the deal
stops (:class:`~upsales_fortnox.domain.outbound.decide.CustomerInactive`) rather than be made
out to a customer the bookkeeper took out of use, or to a second one. The customer
number is then written back to the company's ``FORTNOX_CUSTOMER_NUMBER`` field when the
installation has one (see :mod:`.custom_fields`); a failed write-back is reported in the job
result but does not stop the deal from being sent.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Literal

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.texts import Phrase
from upsales_fortnox.domain.inbound.companies import customer_fingerprint
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import (
    CompanyFields,
    clean,
    company_fields_from_upsales,
    custom_value,
)
from upsales_fortnox.domain.outbound.decide import (
    CustomerInactive,
    company_sent_as,
    customer_made_as_sent,
    customer_search,
    decide_customer,
    is_inactive,
    matching_customers,
)
from upsales_fortnox.domain.outbound.validation import refusal_message
from upsales_fortnox.domain.sync_commands import (
    CreateFortnoxCustomer,
    LinkFortnoxCustomer,
    WriteCustomerNumberToUpsales,
)
from upsales_fortnox.integrations.errors import PermanentError, RetryLater, SyncError
from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxMalformedResponse,
    FortnoxNotFound,
    FortnoxNumberUnreadable,
)
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.ports import FortnoxPort, UpsalesPort
from upsales_fortnox.integrations.upsales.custom_values import with_custom_values
from upsales_fortnox.integrations.upsales.models import Company, CompanyDraft, CustomValue
from upsales_fortnox.links.repository.customer_create_notes import CustomerCreate
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.sync.outbound.custom_fields import account_field_ids
from upsales_fortnox.sync.outbound.earlier_create import (
    RACED_RUN_DELAY,
    not_yet_searched,
    wait_after_a_miss,
)
from upsales_fortnox.sync.outbound.sent_creates import create_on_its_way

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerOutcome:
    customer_number: str
    how: Literal["linked", "matched", "created"]
    written_back: bool | None = None
    """Whether the number was written to the Upsales company; None when not attempted."""
    note: str | None = None
    record: Customer | None = None
    """The customer as its create answered or as read whole; None when linked already."""


async def find_candidates(fortnox: FortnoxPort, fields: Mapping[str, str | None]) -> list[Customer]:
    """Fortnox customers that may be this company (compared exactly by the caller)."""
    search = customer_search(fields)
    if search is None:
        return []
    return [customer async for customer in fortnox.iter_customers(search=search)]


class CompanyCustomerMayLand(RetryLater):
    """Another deal of the company sent the create of its new customer, which may still land."""

    code = "fortnox_customer_settling"
    sender = "another deal of the company"

    def __init__(self, company_id: int, search_again_at: datetime, now: datetime) -> None:
        super().__init__(
            f"{self.sender} sent the create of the Fortnox customer of the company {company_id}, "
            "which may still land; the customer is looked for again at "
            f"{search_again_at.isoformat(timespec='seconds')}",
            retry_after=max((search_again_at - now).total_seconds(), 0.0),
        )


class OwnCustomerCreateMayLand(CompanyCustomerMayLand):
    """An earlier attempt of this deal sent the create of its company's new customer, which may
    still land (a deal already sent, then moved to a new company)."""

    code = "fortnox_customer_create_settling"
    sender = "an earlier attempt of this deal"


class CustomerOfAnotherCompany(PermanentError):
    """The Fortnox customer that matches the company is linked to another company already (two
    companies with one organisation number, say): linking would take it from that company,
    creating would make a duplicate, so the deal waits for a person to settle it."""

    code = "fortnox_customer_of_another_company"


async def ensure_customer(
    session_factory: DbSessionFactory,
    installation_id: uuid.UUID,
    links: WonDealLinks,
    fortnox: FortnoxPort,
    upsales: UpsalesPort,
    deal: tuple[int, int],
    link: LinkView | None,
    *,
    settle_seconds: float,
) -> CustomerOutcome:
    """``deal``: the order's and its company's ids; ``link`` is the company's customer link
    as the caller read it. A customer is created only once no create of it that a deal sent
    can still land (:func:`_no_earlier_create_may_land`), only if the company was not linked
    meanwhile, and only if no such create made it under fields the company has since changed
    (:func:`_made_before_a_change`)."""
    if link is not None:
        return CustomerOutcome(link.fortnox_id, "linked")
    company_id = deal[1]
    company = await upsales.get_company(company_id)
    field_ids = await account_field_ids(session_factory, installation_id, upsales)
    fields = company_fields_from_upsales(company, field_ids)
    searched_at = utcnow()
    candidates = await find_candidates(fortnox, fields)
    read = await _read_until_active(fortnox, matching_customers(fields, candidates))
    decision: CreateFortnoxCustomer | LinkFortnoxCustomer
    decision = decide_customer(company_id, fields, read)
    made_before_a_change = False
    if isinstance(decision, LinkFortnoxCustomer):
        decision, made_before_a_change = await _noted_create_found(
            links, deal, decision, (fields, read)
        )
        owner = await links.customer_linked_to(decision.customer_number)
        if owner is not None and owner != company_id:
            taken = Phrase(
                "company.customer_of_another", number=decision.customer_number, company_id=owner
            )
            raise CustomerOfAnotherCompany(
                refusal_message(f"The company {fields.get('name')!r}", [taken])
            )
    if isinstance(decision, CreateFortnoxCustomer):
        earlier = await _no_earlier_create_may_land(links, deal, searched_at, settle_seconds)
        # another run's link clears the notes it read: then the customer it linked is used
        linked_meanwhile = await links.company_link(company_id)
        if linked_meanwhile is not None:
            return CustomerOutcome(linked_meanwhile.fortnox_id, "linked")
        found = await _made_before_a_change(fortnox, earlier, company_id, (fields, candidates))
        if found is not None:
            # the Fortnox sync may have linked it meanwhile: to this company, it is used; to
            # another, it is not this one's to take
            owner = await links.customer_linked_to(found.customer_number)
            if owner == company_id:
                return CustomerOutcome(found.customer_number, "linked")
            if owner is None:
                decision, made_before_a_change = found, True
    customer = await _apply_customer(fortnox, links, decision, deal, read)
    number = customer.CustomerNumber
    if not number:
        raise FortnoxMalformedResponse("POST /customers: the new customer has no number")
    await links.save_company_link(
        company_id,
        number,
        customer_fingerprint(customer),
        decision.synced_fields,
        sync_company=made_before_a_change,
    )
    how: Literal["matched", "created"] = (
        "created" if isinstance(decision, CreateFortnoxCustomer) else "matched"
    )
    if field_ids.customer_number is None:
        absent = "no account custom field with alias FORTNOX_CUSTOMER_NUMBER; number not shown"
        return CustomerOutcome(number, how, False, absent, customer)
    command = WriteCustomerNumberToUpsales(company_id, field_ids.customer_number, number)
    written, problem = await write_customer_number(upsales, company, command)
    return CustomerOutcome(number, how, written, problem, customer)


async def _read_until_active(fortnox: FortnoxPort, matches: list[Customer]) -> list[Customer]:
    """The matches read whole (list items carry no ``Active``), in their order, up to the first
    active one; one deleted since the search is passed over."""
    read = []
    for match in matches:
        try:
            customer = await fortnox.get_customer(match.CustomerNumber or "")
        except FortnoxNumberUnreadable:
            raise  # it exists: passing it over would make the customer a second time
        except FortnoxNotFound:
            continue
        read.append(customer)
        if not is_inactive(customer):
            break
    return read


async def _no_earlier_create_may_land(
    links: WonDealLinks,
    deal: tuple[int, int],
    searched_at: datetime,
    settle_seconds: float,
) -> list[CustomerCreate]:
    """After a search begun at ``searched_at`` found no customer: raises
    :class:`CompanyCustomerMayLand` while a create of it that another deal sent, or one of any
    company's that this deal sent, may still land (the rule of
    :mod:`upsales_fortnox.domain.outbound.settling`, as for a deal's document: the miss stores
    when to search again, unless the deal's document search stored it already; a miss after
    that time lets the customer be made). Returns the creates it waited for."""
    order_id, company_id = deal
    earlier = await links.customer_creates_to_wait_for(order_id, company_id)
    for create in earlier:
        await _waited_for(links, create, deal, searched_at, settle_seconds)
    return earlier


async def _noted_create_found(
    links: WonDealLinks,
    deal: tuple[int, int],
    found: LinkFortnoxCustomer,
    searched: tuple[CompanyFields, list[Customer]],
) -> tuple[LinkFortnoxCustomer, bool]:
    """``found``, or, when a create of the company that a deal noted made it, the link with the
    fields that create sent as the base, and whether the company has changed since them (its
    changes, a new phone say, are then sent to the customer)."""
    order_id, company_id = deal
    fields, candidates = searched
    customer = next(c for c in candidates if c.CustomerNumber == found.customer_number)
    notes = await links.customer_creates_to_wait_for(order_id, company_id)
    sent = [(note.company_id, note.sent_fields) for note in notes if note.sent_fields]
    made_by = company_sent_as(customer, sent)
    if made_by is None or made_by[0] != company_id:
        return found, False
    sent_fields = dict(made_by[1])
    return replace(found, synced_fields=sent_fields), sent_fields != dict(fields)


async def _made_before_a_change(
    fortnox: FortnoxPort,
    earlier: list[CustomerCreate],
    company_id: int,
    searched: tuple[CompanyFields, list[Customer]],
) -> LinkFortnoxCustomer | None:
    """The customer an earlier create of the company made, when the company has changed since
    so that it no longer matches it (renamed, given or corrected an organisation number):
    looked for by the fields that create sent, after its wait, among the candidates of the
    search just made (``searched``: by the company's fields now) when that search is the same,
    else by a search of its own."""
    fields, candidates = searched
    for create in earlier:
        sent = create.sent_fields
        if create.company_id != company_id or sent is None:
            continue
        among = candidates
        if customer_search(sent) != customer_search(fields):
            among = await find_candidates(fortnox, sent)
        found = customer_made_as_sent(company_id, sent, among)
        if found is not None:
            return found
    return None


async def _waited_for(
    links: WonDealLinks,
    earlier: CustomerCreate,
    deal: tuple[int, int],
    searched_at: datetime,
    settle_seconds: float,
) -> None:
    """Returns once ``earlier`` can no longer land, as a search begun at ``searched_at`` that
    missed it tells; raises :class:`CompanyCustomerMayLand` until then."""
    order_id, company_id = deal
    waiting = (
        OwnCustomerCreateMayLand if earlier.upsales_order_id == order_id else CompanyCustomerMayLand
    )

    def may_land(until: datetime) -> CompanyCustomerMayLand:
        return waiting(company_id, until, searched_at)

    if earlier.sent_at >= searched_at:  # another run's, sent after this search began: unseen
        raise may_land(searched_at + RACED_RUN_DELAY)
    not_yet_searched(earlier.settles_at, searched_at, may_land)
    await wait_after_a_miss(
        earlier.settles_at,
        searched_at,
        settle_seconds,
        partial(links.search_customer_again_at, earlier),
        may_land,
    )


async def _apply_customer(
    fortnox: FortnoxPort,
    links: WonDealLinks,
    decision: CreateFortnoxCustomer | LinkFortnoxCustomer,
    deal: tuple[int, int],
    read: list[Customer],
) -> Customer:
    """The created customer, or the matched one read whole (list items are subsets, and the
    link's fingerprint is taken over the whole customer; ``read``: those read already), unless
    it is inactive. A create that may land without its answer keeps the deal's intent (see
    :mod:`.sent_creates`). It is noted on it for the company's other deals once it holds its
    place in the rate budget, before it is sent: one still waiting for a place when its worker
    stops leaves nothing to wait for."""
    if isinstance(decision, LinkFortnoxCustomer):
        number = decision.customer_number
        known = next((c for c in read if c.CustomerNumber == number), None)
        customer = known or await fortnox.get_customer(number)
        if is_inactive(customer):  # the one an earlier create made, inactive since
            raise CustomerInactive(number, f"the company {deal[1]} is not linked to it")
        return customer
    sent_fields = decision.synced_fields

    async def noted() -> None:
        if not await links.customer_create_sent(*deal, sent_fields):  # another's may still land
            now = utcnow()
            raise OwnCustomerCreateMayLand(deal[1], now + RACED_RUN_DELAY, now)

    async with create_on_its_way(
        links, landed_when_answered=True, refused=links.customer_create_refused, as_it_is_sent=noted
    ):
        return await fortnox.create_customer(decision.customer)


async def write_customer_number(
    upsales: UpsalesPort, company: Company, command: WriteCustomerNumberToUpsales
) -> tuple[bool, str | None]:
    """Set the company's customer-number field unless it already shows the number."""
    if clean(custom_value(company.custom, command.field_id)) == command.customer_number:
        return True, None
    number = CustomValue(fieldId=command.field_id, value=command.customer_number)
    changes = CompanyDraft(custom=with_custom_values(company.custom, [number]))
    try:
        await upsales.update_company(command.upsales_company_id, changes)
    except SyncError as exc:
        logger.warning("writing the customer number to Upsales failed: %s", exc.code)
        return False, f"customer number not written to Upsales: {exc.code}: {exc.message}"
    return True, None
