"""Whether the rest of a deal lives in Fortnox beside its cancelled document, and what it costs:
read from the deal's orders (its reference), against a small in-memory Fortnox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Invoice, Order
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.sync.deal_rest import rest_lives

DEAL = 50
REFERENCE = f"upsales-order:{DEAL}"


class Fortnox:
    def __init__(self, orders: list[Order], invoices: list[Invoice]) -> None:
        self.orders = {o.DocumentNumber: o for o in orders}
        self.invoices = {i.DocumentNumber: i for i in invoices}
        self.calls: list[str] = []

    async def iter_orders(self, *, search: Mapping[str, str] | None = None) -> AsyncIterator[Order]:
        self.calls.append(f"list orders {dict(search or {})}")
        wanted = (search or {}).get("externalinvoicereference1", "")
        for order in self.orders.values():
            if wanted in (order.ExternalInvoiceReference1 or ""):
                yield order

    async def get_order(self, number: int) -> Order:
        self.calls.append(f"order {number}")
        if number not in self.orders:
            raise FortnoxNotFound("gone")
        return self.orders[number]

    async def get_invoice(self, number: int) -> Invoice:
        self.calls.append(f"invoice {number}")
        if number not in self.invoices:
            raise FortnoxNotFound("gone")
        return self.invoices[number]


def order(number: int, invoiced: int = 0, **fields: Any) -> Order:
    base: dict[str, Any] = {"Cancelled": False, "InvoiceReference": str(invoiced)}
    base.update(fields)
    return Order(DocumentNumber=number, ExternalInvoiceReference1=REFERENCE, **base)


def invoice(number: int, made_of: int, **fields: Any) -> Invoice:
    base: dict[str, Any] = {"Cancelled": False, "Credit": False, "Total": "1000"}
    base.update(fields)
    return Invoice(
        DocumentNumber=number,
        OrderReference=str(made_of),
        ExternalInvoiceReference1=REFERENCE,
        **base,
    )


async def lives(fortnox: Fortnox, document: Order | Invoice, *, credit_invoices: bool) -> bool:
    port = cast(FortnoxPort, fortnox)
    return await rest_lives(port, document, DEAL, credit_invoices=credit_invoices)


async def test_an_invoice_of_a_whole_order_has_no_rest_for_one_list_call() -> None:
    ended = invoice(10, 1, Cancelled=True)
    fortnox = Fortnox([order(1, invoiced=10)], [ended])
    assert await lives(fortnox, ended, credit_invoices=True) is False
    assert fortnox.calls == [f"list orders {{'externalinvoicereference1': '{REFERENCE}'}}"]


async def test_an_open_backorder_is_the_rest_that_lives() -> None:
    ended = invoice(10, 1, Cancelled=True)
    rest = order(2, OrderType="Backorder")
    fortnox = Fortnox([order(1, invoiced=10), rest], [ended])
    assert await lives(fortnox, ended, credit_invoices=True) is True
    assert fortnox.calls[1:] == ["order 2"]


async def test_an_invoice_made_of_the_backorder_lives_until_it_ends() -> None:
    first = invoice(10, 1, Cancelled=True)
    orders = [order(1, invoiced=10), order(2, invoiced=11, OrderType="Backorder")]
    assert await lives(Fortnox(orders, [first, invoice(11, 2)]), first, credit_invoices=True)
    cancelled = invoice(11, 2, Cancelled=True)
    assert not await lives(Fortnox(orders, [first, cancelled]), first, credit_invoices=True)
    credited = invoice(11, 2, CreditInvoiceReference="12")
    part = invoice(12, 0, Credit=True, Total="-400", CreditInvoiceReference="11")
    fortnox = Fortnox(orders, [first, credited, part])
    assert await lives(fortnox, first, credit_invoices=True) is True
    assert await lives(fortnox, first, credit_invoices=False) is False
    whole = invoice(12, 0, Credit=True, Total="-1000", CreditInvoiceReference="11")
    assert not await lives(Fortnox(orders, [first, credited, whole]), first, credit_invoices=True)


async def test_the_rest_ended_first_leaves_the_first_invoice_the_deal() -> None:
    """The rest's invoice cancelled while the first lives: that one lives; once the first ends
    too, nothing does (the cancelled document itself is never its own rest)."""
    rest = invoice(11, 2, Cancelled=True)
    orders = [order(1, invoiced=10), order(2, invoiced=11, OrderType="Backorder")]
    assert await lives(Fortnox(orders, [invoice(10, 1), rest]), rest, credit_invoices=True)
    first = invoice(10, 1, Cancelled=True)
    assert not await lives(Fortnox(orders, [first, rest]), first, credit_invoices=True)
    backorder = order(2, OrderType="Backorder", Cancelled=True)
    fortnox = Fortnox([order(1, invoiced=10), backorder], [invoice(10, 1)])
    assert await lives(fortnox, backorder, credit_invoices=True) is True


async def test_an_invoice_not_made_of_an_order_costs_no_call() -> None:
    alone = Invoice(DocumentNumber=10, Cancelled=True, ExternalInvoiceReference1=REFERENCE)
    fortnox = Fortnox([order(2, OrderType="Backorder")], [alone])
    assert await lives(fortnox, alone, credit_invoices=True) is False
    assert fortnox.calls == []


async def test_an_invoice_whose_credit_was_cancelled_lives_whatever_the_setting() -> None:
    """A credit invoice cancelled (makulerad) before booking credits nothing: the invoice it
    names is the rest that lives, with ``creditInvoices`` on or off (its credit read once)."""
    first = invoice(10, 1, Cancelled=True)
    orders = [order(1, invoiced=10), order(2, invoiced=11, OrderType="Backorder")]
    credited = invoice(11, 2, CreditInvoiceReference="12")
    voided = invoice(12, 0, Credit=True, Cancelled=True, Total="-1000", CreditInvoiceReference="11")
    for credit_invoices in (True, False):
        fortnox = Fortnox(orders, [first, credited, voided])
        assert await lives(fortnox, first, credit_invoices=credit_invoices) is True
        assert fortnox.calls.count("invoice 12") == 1
