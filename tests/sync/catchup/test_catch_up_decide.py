"""Which changes the catch-up queues: only those whose job could still do something."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.sync.outbound.outbound_builders import company, order, order_row
from upsales_fortnox.domain.catchup import (
    OrderLinks,
    Verdict,
    company_verdict,
    order_verdict,
    products_needed,
)
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import AccountFieldIds, company_fields_from_upsales
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.integrations.upsales.models import Company, Order
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity, ProductBundleMode, SyncType

SINCE = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
CHANGED = SINCE + timedelta(minutes=1)
SETTINGS = SyncSettings(sync_type=SyncType.INVOICE, product_bundles=ProductBundleMode.ONLY_BUNDLE)
ARTICLES = {1: "A1", 2: "A2"}
FIELD_IDS = AccountFieldIds(customer_number=11, email=12)


def changed_order(**options: object) -> Order:
    modified = options.pop("modified", CHANGED)
    built = order([order_row(1, 2, "100"), order_row(2, 1, "50")], **options)  # type: ignore[arg-type]
    return built.model_copy(update={"modDate": modified})


def sent_fingerprint(won: Order) -> str:
    return map_order(
        won,
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1001",
        article_numbers=ARTICLES,
        bundle_mode=SETTINGS.product_bundles,
    ).fingerprint()


def links(won: Order, fingerprint: str | None, **changes: object) -> OrderLinks:
    base = {
        "orders": {
            won.id: LinkView(LinkEntity.ORDER, won.id, FortnoxType.INVOICE, "12", fingerprint)
        },
        "companies": {3: LinkView(LinkEntity.COMPANY, 3, FortnoxType.CUSTOMER, "1001", None)},
        "articles": ARTICLES,
    }
    base.update(changes)
    return OrderLinks(**base)  # type: ignore[arg-type]


def verdict(
    won: Order, order_links: OrderLinks, hooked: frozenset[tuple[int, datetime]] = frozenset()
) -> Verdict:
    return order_verdict(won, since=SINCE, links=order_links, settings=SETTINGS, hooked=hooked)


def test_a_won_order_without_a_link_is_queued() -> None:
    won = changed_order()
    assert verdict(won, OrderLinks(articles=ARTICLES)) is Verdict.QUEUE


def test_an_order_whose_link_has_its_fingerprint_is_synced() -> None:
    won = changed_order()
    assert verdict(won, links(won, sent_fingerprint(won))) is Verdict.SYNCED


def test_an_order_changed_since_it_was_sent_is_queued() -> None:
    won = changed_order()
    sent = sent_fingerprint(won)
    edited = won.model_copy(update={"currency": "EUR"})
    assert verdict(edited, links(won, sent)) is Verdict.QUEUE
    assert verdict(won, links(won, None)) is Verdict.QUEUE  # a link made from Fortnox's side


def test_what_cannot_be_proved_synced_is_queued() -> None:
    won = changed_order()
    sent = sent_fingerprint(won)
    assert verdict(won, links(won, sent, articles={1: "A1"})) is Verdict.QUEUE  # no article
    assert verdict(won, links(won, sent, companies={})) is Verdict.QUEUE  # no customer link


def test_orders_that_are_not_won_deals_are_left_to_their_hooks() -> None:
    assert verdict(changed_order(probability=60), OrderLinks()) is Verdict.NOT_WON
    assert verdict(changed_order(client_id=None), OrderLinks()) is Verdict.NOT_WON


def test_an_order_whose_hook_carried_this_version_is_left_to_that_hook() -> None:
    won = changed_order()
    assert verdict(won, OrderLinks(), {(won.id, CHANGED)}) is Verdict.HOOK_RECEIVED
    older = {(won.id, CHANGED - timedelta(seconds=1))}
    assert verdict(won, OrderLinks(), older) is Verdict.QUEUE  # an earlier version's hook


def test_a_hooked_version_whose_link_shows_other_content_sent_is_queued() -> None:
    # Upsales' modDate has whole seconds: a second change within the second of a hooked one
    # shows the same version, and the hook's job may have read the first.
    won = changed_order()
    first = won.model_copy(update={"currency": "EUR"})
    hooked = {(won.id, CHANGED)}
    assert verdict(won, links(won, sent_fingerprint(first)), hooked) is Verdict.QUEUE
    assert verdict(won, links(won, sent_fingerprint(won)), hooked) is Verdict.HOOK_RECEIVED
    assert verdict(won, links(won, None), hooked) is Verdict.HOOK_RECEIVED  # cannot tell
    unmapped = links(won, sent_fingerprint(first), articles={1: "A1"})
    assert verdict(won, unmapped, hooked) is Verdict.HOOK_RECEIVED  # cannot tell


def test_an_order_changed_before_the_window_was_seen_by_an_earlier_run() -> None:
    before = changed_order(modified=SINCE - timedelta(seconds=1))
    assert verdict(before, OrderLinks()) is Verdict.BEFORE_WINDOW
    naive = changed_order(modified=(SINCE - timedelta(seconds=1)).replace(tzinfo=None))
    assert verdict(naive, OrderLinks()) is Verdict.BEFORE_WINDOW  # taken as UTC
    undated = changed_order().model_copy(update={"modDate": None})
    assert verdict(undated, OrderLinks()) is Verdict.QUEUE


def test_products_needed_follow_the_bundle_setting() -> None:
    assert products_needed(changed_order(), SETTINGS) == [1, 2]


def changed_company(**fields: object) -> Company:
    return company(**{"modDate": CHANGED, **fields})


def company_link(synced: Company) -> LinkView:
    fields = company_fields_from_upsales(synced, FIELD_IDS)
    return LinkView(LinkEntity.COMPANY, synced.id, FortnoxType.CUSTOMER, "1001", None, fields)


def test_companies() -> None:
    synced = changed_company(phone="031-12 34 56")
    link = company_link(synced)

    def of(changed: Company, hooked: frozenset[tuple[int, datetime]] = frozenset()) -> Verdict:
        return company_verdict(changed, since=SINCE, link=link, field_ids=FIELD_IDS, hooked=hooked)

    assert of(synced) is Verdict.SYNCED
    # the customer number written back changes no synced field
    assert (
        of(changed_company(phone="031-12 34 56", custom=[{"fieldId": 11, "value": "1001"}]))
        is Verdict.SYNCED
    )
    edited = changed_company(phone="031-99 99 99")
    assert of(edited) is Verdict.QUEUE
    assert of(synced, {(3, CHANGED)}) is Verdict.HOOK_RECEIVED
    # the link shows other fields synced: the hook's job is still to run (the job queued now
    # is that job) or read the company before a second change within the same second
    assert of(edited, {(3, CHANGED)}) is Verdict.QUEUE
    unknown = LinkView(LinkEntity.COMPANY, 3, FortnoxType.CUSTOMER, "1001", None, None)
    assert (
        company_verdict(
            edited, since=SINCE, link=unknown, field_ids=FIELD_IDS, hooked={(3, CHANGED)}
        )
        is Verdict.HOOK_RECEIVED
    )
    assert (
        company_verdict(edited, since=SINCE, link=None, field_ids=None, hooked=set())
        is Verdict.NOT_LINKED
    )
    assert of(changed_company(modDate=SINCE - timedelta(hours=1))) is Verdict.BEFORE_WINDOW
