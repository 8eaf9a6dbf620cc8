"""Fortnox documents → Upsales orders: rows, prices, discounts, users, and the plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from upsales_fortnox.domain.inbound.decide_document import (
    Action,
    DocumentPlan,
    LinkedOrder,
    Stage,
    UpsalesOrderState,
    document_commands,
    offer_probability,
    plan_document,
)
from upsales_fortnox.domain.inbound.document_changes import (
    MissingProduct,
    OrderReferences,
    described_as,
    described_document,
    description_made_here,
    descriptions_made_here,
    document_fingerprint,
    document_lines,
    is_cancelled,
    needs_fallback_product,
    order_rows,
    predecessor,
    referenced_document,
    successor,
)
from upsales_fortnox.domain.inbound.users import SettingsIncomplete, match_user, order_user
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.sync_commands import CreateUpsalesOrder, SaveLink, UpdateUpsalesOrder
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.integrations.fortnox.models import Invoice, Offer, Order
from upsales_fortnox.integrations.upsales.models import OrderStage, User
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity, SyncType

WON, LOST, OFFER_STAGE = 3, 4, 2
SETTINGS = SyncSettings(
    sync_type=SyncType.INVOICE,
    placeholder_user=1,
    won_stage=WON,
    lost_stage=LOST,
    offer_stage=OFFER_STAGE,
    price_list="A",
)
TODAY = dt.date(2024, 6, 1)


def invoice(**fields: Any) -> Invoice:
    base: dict[str, Any] = {
        "DocumentNumber": 123,
        "CustomerNumber": "1001",
        "InvoiceDate": "2024-05-20",
        "OurReference": "Erik Säljare",
        "InvoiceRows": [
            {"ArticleNumber": "KONS-1", "DeliveredQuantity": "8", "Price": "1250"},
            {
                "ArticleNumber": "LIC-BAS",
                "DeliveredQuantity": "2",
                "Price": "4900",
                "Discount": "10",
                "DiscountType": "PERCENT",
            },
        ],
    }
    base.update(fields)
    return Invoice.model_validate(base)


def order(**fields: Any) -> Order:
    base: dict[str, Any] = {
        "DocumentNumber": 45,
        "CustomerNumber": "1001",
        "OrderDate": "2024-05-10",
        "OrderRows": [
            {
                "ArticleNumber": "KONS-1",
                "OrderedQuantity": "3",
                "DeliveredQuantity": "3",
                "Price": "100",
            }
        ],
    }
    base.update(fields)
    return Order.model_validate(base)


def offer(**fields: Any) -> Offer:
    base: dict[str, Any] = {
        "DocumentNumber": 7,
        "CustomerNumber": "1001",
        "OfferDate": "2024-05-01",
        "OfferRows": [{"ArticleNumber": "KONS-1", "Quantity": "10", "Price": "1250"}],
    }
    base.update(fields)
    return Offer.model_validate(base)


REFS = OrderReferences(
    company_id=11, user_id=21, product_ids={"KONS-1": 31, "LIC-BAS": 32}, document_field_id=41
)


# --- rows and prices --------------------------------------------------------------------------


def test_rows_carry_gross_list_price_and_net_price() -> None:
    lines = document_lines(invoice())
    assert [
        (line.article_number, line.quantity, line.list_price, line.price) for line in lines
    ] == [
        ("KONS-1", Decimal(8), Decimal(1250), Decimal(1250)),
        ("LIC-BAS", Decimal(2), Decimal(4900), Decimal(4410)),
    ]
    value = sum(line.quantity * line.price for line in lines)
    assert value == Decimal(8 * 1250 + 2 * 4410)


def test_amount_discount_comes_off_the_row_total() -> None:
    rows = [
        {
            "ArticleNumber": "A",
            "DeliveredQuantity": "4",
            "Price": "100",
            "Discount": "40",
            "DiscountType": "AMOUNT",
        }
    ]
    (line,) = document_lines(invoice(InvoiceRows=rows))
    assert line.list_price == Decimal(100) and line.price == Decimal(90)
    assert line.quantity * line.price == Decimal(360)


def test_a_row_total_that_does_not_divide_is_split_in_two_rows_of_the_product() -> None:
    rows = [
        {
            "ArticleNumber": "A",
            "DeliveredQuantity": "3",
            "Price": "100",
            "Discount": "100",
            "DiscountType": "AMOUNT",
        }
    ]
    lines = document_lines(invoice(InvoiceRows=rows))
    assert [(line.article_number, line.quantity, line.price) for line in lines] == [
        ("A", Decimal(2), Decimal("66.67")),
        ("A", Decimal(1), Decimal("66.66")),
    ]
    assert sum(line.quantity * line.price for line in lines) == Decimal("200.00")


def test_percent_discount_row_total_rounds_to_ore_like_fortnox() -> None:
    rows = [
        {
            "ArticleNumber": "A",
            "DeliveredQuantity": "1",
            "Price": "99.99",
            "Discount": "15",
            "DiscountType": "PERCENT",
        }
    ]
    (line,) = document_lines(invoice(InvoiceRows=rows))
    assert line.price == Decimal("84.99")  # 84.9915 → 84.99


def test_vat_included_prices_are_converted_to_amounts_without_vat() -> None:
    rows = [{"ArticleNumber": "A", "DeliveredQuantity": "2", "Price": "125", "VAT": "25"}]
    (line,) = document_lines(invoice(VATIncluded=True, InvoiceRows=rows))
    assert line.list_price == Decimal(100) and line.price == Decimal(100)


def test_text_rows_and_rows_without_quantity_are_left_out() -> None:
    rows = [
        {"Description": "Tack för ordern!"},
        {"ArticleNumber": "A", "DeliveredQuantity": "0", "Price": "10"},
        {"Description": "Frakt", "DeliveredQuantity": "1", "Price": "95"},
    ]
    lines = document_lines(invoice(InvoiceRows=rows))
    assert [(line.article_number, line.price) for line in lines] == [(None, Decimal(95))]


def test_order_rows_use_ordered_and_offer_rows_quantity() -> None:
    assert document_lines(order())[0].quantity == Decimal(3)
    assert document_lines(offer())[0].quantity == Decimal(10)


def test_rows_without_a_known_article_use_the_fallback_product() -> None:
    lines = document_lines(invoice(InvoiceRows=[{"DeliveredQuantity": "1", "Price": "95"}]))
    assert needs_fallback_product(lines, REFS.product_ids)
    with pytest.raises(MissingProduct):
        order_rows(lines, REFS)
    refs = OrderReferences(11, 21, REFS.product_ids, fallback_product_id=99)
    (row,) = order_rows(lines, refs)
    assert row.product is not None and row.product.id == 99 and row.price == Decimal(95)


def test_a_document_of_text_rows_only_gets_one_empty_row() -> None:
    lines = document_lines(invoice(InvoiceRows=[{"Description": "Text"}]))
    assert lines == [] and needs_fallback_product(lines, {})
    (row,) = order_rows(lines, OrderReferences(11, 21, {}, fallback_product_id=99))
    assert row.quantity == 1 and row.price == 0


def test_references_and_cancellation() -> None:
    assert predecessor(invoice(OrderReference="45", OfferReference="7")) == (
        FortnoxType.ORDER,
        "45",
    )
    assert predecessor(invoice(OrderReference="0", OfferReference="7")) == (FortnoxType.OFFER, "7")
    assert predecessor(invoice(OrderReference="0", OfferReference="0")) is None
    assert predecessor(order(OfferReference=7)) == (FortnoxType.OFFER, "7")
    assert predecessor(offer()) is None
    assert successor(offer(OrderReference="45")) == (FortnoxType.ORDER, "45")
    assert successor(offer(OrderReference="0")) is None and successor(order()) is None
    assert is_cancelled(order(Cancelled=True))
    assert is_cancelled(invoice(CreditInvoiceReference="130"))
    assert not is_cancelled(invoice(CreditInvoiceReference="0"))
    assert not is_cancelled(invoice(Credit=True, CreditInvoiceReference="123"))


def test_fingerprint_follows_content_not_state() -> None:
    base = document_fingerprint(invoice())
    assert document_fingerprint(invoice(Booked=True, Sent=True)) == base
    assert document_fingerprint(invoice(OurReference="Sara Lind")) != base


# --- users ------------------------------------------------------------------------------------


USERS = [
    User(id=1, name="Anna Administratör", email="anna@demokonsult.se"),
    User(id=2, name="Erik Säljare", email="erik@demokonsult.se"),
    User(id=3, name="Sara Lind", email="sara@demokonsult.se"),
    User(id=4, name="Olle Gammal", email="olle@demokonsult.se", active=False),
    User(id=5, name="Kim Twin", email="kim1@demokonsult.se"),
    User(id=6, name="Kim Twin", email="kim2@demokonsult.se"),
]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("Erik Säljare", 2),
        ("  erik   säljare ", 2),
        ("SARA@demokonsult.se", 3),
        ("Olle Gammal", None),
        ("Kim Twin", None),
        ("kim2@demokonsult.se", 6),
        ("Nobody", None),
        (None, None),
        ("", None),
    ],
)
def test_user_from_our_reference(reference: str | None, expected: int | None) -> None:
    assert match_user(reference, USERS) == expected


def test_placeholder_user_when_no_user_matches() -> None:
    assert order_user("Erik Säljare", USERS, SETTINGS) == 2
    assert order_user("Nobody", USERS, SETTINGS) == 1
    with pytest.raises(SettingsIncomplete):
        order_user("Nobody", USERS, SyncSettings())


# --- the plan ---------------------------------------------------------------------------------


def state(order_id: int = 50, stage: int | None = WON, probability: int | None = 100) -> Any:
    return UpsalesOrderState(order_id, stage, probability)


def linked(
    fortnox_type: FortnoxType, number: str, order_state: UpsalesOrderState | None, fp: str = "x"
) -> LinkedOrder:
    view = LinkView(LinkEntity.ORDER, 50, fortnox_type, number, fp)
    return LinkedOrder(view, order_state)


def plan(document: Any, settings: SyncSettings = SETTINGS, **kwargs: Any) -> DocumentPlan:
    params: dict[str, Any] = {"own": None, "predecessor": None, "outbound_order": None}
    params.setdefault("successor", None)
    params.update(kwargs)
    return plan_document(
        document, settings=settings, fingerprint=document_fingerprint(document), **params
    )


def commands(document: Any, the_plan: DocumentPlan, settings: SyncSettings = SETTINGS) -> Any:
    return document_commands(
        the_plan,
        document,
        settings=settings,
        fingerprint=document_fingerprint(document),
        refs=REFS,
        offer_probability=50,
        today=TODAY,
    )


def test_new_invoice_becomes_a_won_order() -> None:
    document = invoice()
    the_plan = plan(document)
    assert the_plan.action is Action.CREATE and the_plan.stage is Stage.WON
    (command,) = commands(document, the_plan)
    assert isinstance(command, CreateUpsalesOrder)
    wire = command.order.to_wire()
    assert wire["description"] == "Fortnox-faktura 123"
    assert wire["date"] == dt.date(2024, 5, 20)
    assert wire["stage"] == {"id": WON} and wire["probability"] == 100
    assert wire["client"] == {"id": 11} and wire["user"] == {"id": 21}
    assert wire["custom"] == [{"fieldId": 41, "value": "invoice 123"}]
    assert [
        (r["product"]["id"], r["quantity"], r["listPrice"], r["price"]) for r in wire["orderRow"]
    ] == [
        (31, Decimal(8), Decimal(1250), Decimal(1250)),
        (32, Decimal(2), Decimal(4900), Decimal(4410)),
    ]
    assert command.link.fortnox_type is FortnoxType.INVOICE and command.link.fortnox_id == "123"
    assert "currency" not in wire


def test_foreign_currency_is_kept() -> None:
    (command,) = commands(invoice(Currency="EUR"), plan(invoice(Currency="EUR")))
    assert command.order.currency == "EUR"


def test_a_document_moved_back_to_kronor_puts_its_order_back_in_kronor() -> None:
    """An imported euro invoice the bookkeeper changes to SEK: its order is no longer left in
    euro at the euro's rate (its krona amounts valued at 11.49 SEK each)."""
    document = invoice(Currency="SEK", CurrencyRate="1", CurrencyUnit="1")
    the_plan = plan(document, own=linked(FortnoxType.INVOICE, "123", state()))
    update, _ = commands(document, the_plan)
    wire = update.changes.to_wire()
    assert (wire["currency"], wire["currencyRate"]) == ("SEK", Decimal(1))
    created, *_ = commands(document, plan(document))
    assert "currency" not in created.order.to_wire()  # a new order is in SEK already


def test_document_without_a_date_is_dated_today() -> None:
    document = invoice(InvoiceDate="")
    (command,) = commands(document, plan(document))
    assert command.order.date == TODAY


@pytest.mark.parametrize(
    ("sync_type", "document", "imported"),
    [
        (SyncType.INVOICE, invoice(), True),
        (SyncType.INVOICE, order(), False),
        (SyncType.INVOICE, offer(), False),
        (SyncType.ORDER, invoice(), False),
        (SyncType.ORDER, order(), True),
        (SyncType.ORDER, offer(), False),
        (SyncType.ORDER_OFFER, invoice(), False),
        (SyncType.ORDER_OFFER, order(), True),
        (SyncType.ORDER_OFFER, offer(), True),
    ],
)
def test_module_decides_which_documents_are_imported(
    sync_type: SyncType, document: Any, imported: bool
) -> None:
    settings = SyncSettings(**{**SETTINGS.__dict__, "sync_type": sync_type})
    the_plan = plan(document, settings)
    assert (the_plan.action is Action.CREATE) is imported
    if not imported:
        assert the_plan.reason == "module_not_synced"


def test_new_order_is_won_with_its_date() -> None:
    settings = SyncSettings(**{**SETTINGS.__dict__, "sync_type": SyncType.ORDER})
    document = order()
    (command,) = commands(document, plan(document, settings), settings)
    assert command.order.description == "Fortnox-order 45"
    assert command.order.date == dt.date(2024, 5, 10) and command.order.probability == 100


def test_new_offer_is_an_opportunity_in_the_offer_stage() -> None:
    settings = SyncSettings(**{**SETTINGS.__dict__, "sync_type": SyncType.ORDER_OFFER})
    document = offer()
    the_plan = plan(document, settings)
    assert the_plan.stage is Stage.OFFER
    (command,) = commands(document, the_plan, settings)
    assert command.order.stage.id == OFFER_STAGE and command.order.probability == 50
    assert command.order.description == "Fortnox-offert 7"


def test_order_from_a_linked_offer_wins_the_same_opportunity() -> None:
    document = order(OfferReference="7")
    the_plan = plan(
        document, predecessor=linked(FortnoxType.OFFER, "7", state(50, OFFER_STAGE, 50))
    )
    assert the_plan == DocumentPlan(Action.UPDATE, "won", 50, Stage.WON, content=True, link=True)
    update, save = commands(document, the_plan)
    assert isinstance(update, UpdateUpsalesOrder) and update.order_id == 50
    wire = update.changes.to_wire()
    assert wire["stage"] == {"id": WON} and wire["probability"] == 100
    assert wire["orderRow"][0]["quantity"] == Decimal(3)
    assert "description" not in wire
    assert save == SaveLink(
        LinkEntity.ORDER, 50, FortnoxType.ORDER, "45", document_fingerprint(document)
    )


def test_invoice_from_a_linked_order_is_linked_to_the_same_upsales_order() -> None:
    document = invoice(OrderReference="45")
    the_plan = plan(document, predecessor=linked(FortnoxType.ORDER, "45", state()))
    assert the_plan.action is Action.UPDATE and the_plan.link and the_plan.stage is None
    assert not the_plan.needs_references
    assert commands(document, the_plan) == [
        SaveLink(LinkEntity.ORDER, 50, FortnoxType.INVOICE, "123", document_fingerprint(document))
    ]


def test_cancelled_linked_invoice_moves_the_order_to_lost_and_marks_its_link() -> None:
    document = invoice(Cancelled=True)
    the_plan = plan(document, own=linked(FortnoxType.INVOICE, "123", state(), fp="f1"))
    assert the_plan.stage is Stage.LOST
    pending, update, save = commands(document, the_plan)  # the move recorded first
    assert pending == SaveLink(
        LinkEntity.ORDER, 50, FortnoxType.INVOICE, "123", "cancelled:lose:f1"
    )
    assert update.changes.to_wire() == {"stage": {"id": LOST}, "probability": 0}
    assert save == SaveLink(LinkEntity.ORDER, 50, FortnoxType.INVOICE, "123", "cancelled:f1")


def test_cancel_of_an_order_already_lost_only_marks_its_link_as_found_lost() -> None:
    document = order(Cancelled=True)
    the_plan = plan(document, own=linked(FortnoxType.ORDER, "45", state(50, LOST, 0), fp="f"))
    assert the_plan.reason == "already_lost"
    (save,) = commands(document, the_plan)
    assert isinstance(save, SaveLink) and save.fingerprint == "cancelled:lost:f"


def test_a_credit_of_a_deal_the_rep_lost_in_another_lost_stage_marks_its_link_as_found_lost() -> (
    None
):
    """The rep lost the deal in a 0 % stage of their own before the credit: the sync moves it to
    the lost stage as before, but the lost is the rep's, so the credit's cancellation leaves it."""
    document = invoice(CreditInvoiceReference="900", ExternalInvoiceReference1="upsales-order:50")
    own = linked(FortnoxType.INVOICE, "123", state(50, 9, 0), fp="f1")
    the_plan = plan(document, own=own)
    assert the_plan.stage is Stage.LOST
    update, save = commands(document, the_plan)
    assert update.changes.to_wire() == {"stage": {"id": LOST}, "probability": 0}
    assert isinstance(save, SaveLink) and save.fingerprint == "cancelled:lost:f1"


@pytest.mark.parametrize("partial_credit", [False, True])
def test_a_cancellation_undone_leaves_a_deal_the_rep_had_lost_before_it(
    partial_credit: bool,
) -> None:
    """The sync found the deal lost already as it synced the credit (the rep lost it): its
    credit cancelled, the link stands for the invoice again and the deal stays lost."""
    document = invoice(ExternalInvoiceReference1="upsales-order:50")
    own = linked(FortnoxType.INVOICE, "123", state(50, LOST, 0), fp="cancelled:lost:f1")
    assert own.link.found_lost and own.link.fingerprint_before_cancel == "f1"
    the_plan = plan(document, own=own, partial_credit=partial_credit)
    assert the_plan.stage is None
    (save,) = commands(document, the_plan)
    assert isinstance(save, SaveLink) and save.fingerprint == "f1"


def test_a_synced_cancellation_changes_nothing_more() -> None:
    """The deal may have been won again since: the cancelled document's events leave it."""
    own = linked(FortnoxType.INVOICE, "123", state(), fp="cancelled:f1")
    the_plan = plan(invoice(Cancelled=True), own=own)
    assert the_plan.action is Action.SKIP and the_plan.reason == "cancellation_synced"


def test_a_cancellation_undone_wins_the_deal_back_and_restores_its_link() -> None:
    """A fully credited invoice counts as cancelled; its credit undone (the credit cancelled,
    and no longer named on the invoice), the deal the credit moved to lost is won again, and
    the link stands for the invoice again (a deal won again keeps it instead of getting a new
    one); one won again meanwhile is left in its stage."""
    document = invoice(ExternalInvoiceReference1="upsales-order:50")
    own = linked(FortnoxType.INVOICE, "123", state(50, LOST, 0), fp="cancelled:f1")
    the_plan = plan(document, own=own)
    assert the_plan.reason == "cancellation_undone"
    update, save = commands(document, the_plan)
    assert update.changes.to_wire() == {"stage": {"id": WON}, "probability": 100}
    assert isinstance(save, SaveLink) and save.fingerprint == "f1"
    rewon = linked(FortnoxType.INVOICE, "123", state(50, WON, 100), fp="cancelled:f1")
    (only_link,) = commands(document, plan(document, own=rewon))
    assert isinstance(only_link, SaveLink) and only_link.fingerprint == "f1"
    credited = plan(document, own=own, partial_credit=True)
    assert credited.stage is Stage.WON and credited.link_fingerprint == "f1"


def test_cancelled_invoice_of_a_linked_order_is_linked_and_lost() -> None:
    document = invoice(OrderReference="45", Cancelled=True)
    the_plan = plan(document, predecessor=linked(FortnoxType.ORDER, "45", state()))
    pending, update, save = commands(document, the_plan)
    assert isinstance(pending, SaveLink) and isinstance(save, SaveLink)
    assert update.changes.probability == 0


def test_backorder_never_syncs() -> None:
    settings = SyncSettings(**{**SETTINGS.__dict__, "sync_type": SyncType.ORDER})
    document = order(OrderType="Backorder", OfferReference="7")
    assert plan(document, settings).reason == "backorder"
    the_plan = plan(document, settings, predecessor=linked(FortnoxType.OFFER, "7", state()))
    assert the_plan.action is Action.SKIP


def test_a_backorder_a_deal_took_is_its_document() -> None:
    """A deal won again took the backorder of its order's rest (it is linked): its
    cancellation moves the deal to lost; its other changes are the deal's own writes."""
    settings = SyncSettings(**{**SETTINGS.__dict__, "sync_type": SyncType.ORDER})
    fields = {"OrderType": "Backorder", "ExternalInvoiceReference1": "upsales-order:50"}
    own = linked(FortnoxType.ORDER, "45", state(50))
    cancelled = plan(order(**fields, Cancelled=True), settings, own=own)
    assert cancelled.stage is Stage.LOST and cancelled.link
    assert plan(order(**fields), settings, own=own).reason == "own_document"


def test_a_cancellation_leaves_the_deal_won_while_the_rest_of_its_order_lives() -> None:
    """An order invoiced in part lives on in its backorder (and the invoice made of that): the
    cancellation of one part marks its link, and moves the deal to lost only once nothing of
    it lives (the shell tells by ``rest_live``)."""
    settings = SyncSettings(**{**SETTINGS.__dict__, "sync_type": SyncType.ORDER})
    ours = {"ExternalInvoiceReference1": "upsales-order:50", "Cancelled": True}
    own = linked(FortnoxType.INVOICE, "123", state(50), fp="f1")
    ended = plan(invoice(**ours), settings, own=own)
    assert ended.moves_to_lost
    kept = plan(invoice(**ours), settings, own=own, rest_live=True)
    assert (kept.action, kept.reason, kept.stage) == (Action.UPDATE, "rest_live", None)
    assert not kept.moves_to_lost
    (save,) = commands(invoice(**ours), kept)
    assert isinstance(save, SaveLink) and save.fingerprint == "cancelled:f1"
    made_of = linked(FortnoxType.ORDER, "45", state(50))
    document = invoice(**ours, OrderReference="45")
    assert plan(document, settings, predecessor=made_of).moves_to_lost
    kept = plan(document, settings, predecessor=made_of, rest_live=True)
    assert kept.reason == "rest_live" and kept.stage is None and kept.link
    assert plan(invoice(**ours), settings, outbound_order=state(50)).moves_to_lost
    unlinked = plan(invoice(**ours), settings, outbound_order=state(50), rest_live=True)
    assert (unlinked.action, unlinked.reason) == (Action.SKIP, "rest_live")
    already = linked(FortnoxType.INVOICE, "123", state(50, LOST, 0), fp="f1")
    assert plan(invoice(**ours), settings, own=already, rest_live=True).reason == "already_lost"


def test_the_cancelled_rest_of_a_deal_ends_it_once_nothing_else_lives() -> None:
    """A backorder carrying the deal's reference is the rest of its order: never imported, but
    its cancellation moves the deal to lost when nothing else of it lives."""
    settings = SyncSettings(**{**SETTINGS.__dict__, "sync_type": SyncType.ORDER})
    rest = {"OrderType": "Backorder", "ExternalInvoiceReference1": "upsales-order:50"}
    ended = plan(order(**rest, Cancelled=True), settings, outbound_order=state(50))
    assert ended.moves_to_lost and ended.reason == "rest_cancelled" and not ended.link
    kept = plan(order(**rest, Cancelled=True), settings, outbound_order=state(50), rest_live=True)
    assert (kept.action, kept.reason) == (Action.SKIP, "rest_live")
    assert plan(order(**rest), settings, outbound_order=state(50)).reason == "backorder"
    assert plan(order(**rest, Cancelled=True), settings).reason == "backorder"


def test_credit_invoice_never_syncs() -> None:
    assert plan(invoice(Credit=True, CreditInvoiceReference="100")).reason == "credit_invoice"


def test_own_outbound_document_is_never_imported() -> None:
    document = invoice(ExternalInvoiceReference1="upsales-order:77")
    assert plan(document).reason == "own_document"
    assert plan(document, outbound_order=state(77)).action is Action.SKIP


def test_own_linked_document_changes_nothing_but_cancel() -> None:
    document = invoice(ExternalInvoiceReference1="upsales-order:77", OurReference="Other")
    own = linked(FortnoxType.INVOICE, "123", state(77), fp="stale")
    assert plan(document, own=own).reason == "own_document"
    cancelled = invoice(ExternalInvoiceReference1="upsales-order:77", Cancelled=True)
    assert plan(cancelled, own=own).stage is Stage.LOST


def test_cancelled_own_document_without_link_moves_the_referenced_order_to_lost() -> None:
    document = order(ExternalInvoiceReference1="upsales-order:77", Cancelled=True)
    the_plan = plan(document, outbound_order=state(77))
    assert the_plan.order_id == 77 and the_plan.stage is Stage.LOST and not the_plan.link


def test_document_cancelled_before_its_import_is_imported_as_lost() -> None:
    document = invoice(Cancelled=True)
    the_plan = plan(document)
    assert the_plan.action is Action.CREATE and the_plan.stage is Stage.LOST
    (command,) = commands(document, the_plan)
    assert command.order.stage.id == LOST and command.order.probability == 0


def test_offer_turned_into_a_linked_order_is_linked_to_its_upsales_order() -> None:
    settings = SyncSettings(**{**SETTINGS.__dict__, "sync_type": SyncType.ORDER_OFFER})
    document = offer(OrderReference="45")
    the_plan = plan(document, settings, successor=linked(FortnoxType.ORDER, "45", state()))
    assert the_plan == DocumentPlan(Action.UPDATE, "linked_to_order", 50, link=True)
    assert commands(document, the_plan, settings) == [
        SaveLink(LinkEntity.ORDER, 50, FortnoxType.OFFER, "7", document_fingerprint(document))
    ]


def test_unchanged_imported_document_is_a_no_op() -> None:
    document = invoice()
    own = linked(FortnoxType.INVOICE, "123", state(), fp=document_fingerprint(document))
    assert plan(document, own=own).reason == "unchanged"


def test_changed_imported_document_updates_the_order_content() -> None:
    document = invoice(OurReference="Sara Lind")
    the_plan = plan(document, own=linked(FortnoxType.INVOICE, "123", state()))
    assert the_plan.content and the_plan.link and the_plan.stage is None
    update, save = commands(document, the_plan)
    assert set(update.changes.to_wire()) == {"date", "user", "client", "orderRow"}
    assert save.fingerprint == document_fingerprint(document)


def test_changed_offer_updates_an_open_opportunity_but_not_a_won_one() -> None:
    settings = SyncSettings(**{**SETTINGS.__dict__, "sync_type": SyncType.ORDER_OFFER})
    open_one = linked(FortnoxType.OFFER, "7", state(50, OFFER_STAGE, 50))
    the_plan = plan(offer(), settings, own=open_one)
    assert the_plan.content and the_plan.stage is None
    won = linked(FortnoxType.OFFER, "7", state(50, WON, 100))
    assert plan(offer(), settings, own=won).reason == "opportunity_closed"
    # won with the order made of it: the deal keeps that order
    made = offer(Cancelled=True, OrderReference="12")
    assert plan(made, settings, own=won).reason == "offer_already_won"
    # won in Upsales, but no order could be made of the cancelled offer: the deal is lost
    unmade = plan(offer(Cancelled=True), settings, own=won)
    assert unmade.stage is Stage.LOST and unmade.link
    assert plan(offer(Cancelled=True), settings, own=open_one).stage is Stage.LOST


def test_deleted_upsales_order_is_not_brought_back() -> None:
    assert plan(invoice(), own=linked(FortnoxType.INVOICE, "123", None)).reason == (
        "upsales_order_deleted"
    )
    assert (
        plan(order(OfferReference="7"), predecessor=linked(FortnoxType.OFFER, "7", None)).action
        is Action.SKIP
    )


def test_missing_stage_setting_is_reported() -> None:
    settings = SyncSettings(sync_type=SyncType.INVOICE, placeholder_user=1)
    with pytest.raises(SettingsIncomplete, match="wonStage"):
        commands(invoice(), plan(invoice(), settings), settings)


def test_an_imported_orders_description_is_known_in_every_language_it_was_made_in() -> None:
    """Orders are described in Swedish; one described in English before that is the same
    document's order, and nothing else is taken for one."""
    assert descriptions_made_here(FortnoxType.INVOICE, 12) == [
        "Fortnox-faktura 12",
        "Fortnox invoice 12",
    ]
    assert descriptions_made_here(FortnoxType.OFFER, "7") == ["Fortnox-offert 7", "Fortnox offer 7"]
    assert description_made_here(" Fortnox invoice 12 ") == "Fortnox-faktura 12"
    assert description_made_here("Fortnox order 45") == "Fortnox-order 45"
    assert description_made_here("Fortnox-offert 7") == "Fortnox-offert 7"
    for other in ("Fortnox invoice", "Fortnox-faktura 12 (kopia)", "Fortnox invoice x1", "Avtal"):
        assert description_made_here(other) is None


@pytest.mark.parametrize(
    ("probability", "taken"),
    [(30, 30), (1, 1), (99, 99), (0, 50), (100, 50), (None, 50)],
)
def test_an_offer_takes_its_stage_probability_only_between_lost_and_won(
    probability: int | None, taken: int
) -> None:
    stages = [OrderStage(id=7, probability=80), OrderStage(id=OFFER_STAGE, probability=probability)]
    assert offer_probability(stages, OFFER_STAGE) == taken


def test_an_offer_stage_missing_from_the_stages_gives_the_default() -> None:
    assert offer_probability([OrderStage(id=7, probability=80)], OFFER_STAGE) == 50
    assert offer_probability([OrderStage(id=7, probability=80)], None) == 50


def test_the_document_an_imported_order_names_is_read_back_from_its_reference_or_description() -> (
    None
):
    assert referenced_document("invoice 12") == (FortnoxType.INVOICE, "12")
    assert referenced_document(" Order 7 ") == (FortnoxType.ORDER, "7")
    for other in (None, "", "invoice", "invoice x", "credit 3", "invoice \u0661"):
        assert referenced_document(other) is None
    for fortnox_type in (FortnoxType.INVOICE, FortnoxType.ORDER, FortnoxType.OFFER):
        assert described_document(described_as(fortnox_type, 31)) == (fortnox_type, "31")
    assert described_document("Fortnox invoice 5") == (FortnoxType.INVOICE, "5")  # English
    assert described_document("Fortnox-faktura") is None
    assert described_document("Workshop") is None
