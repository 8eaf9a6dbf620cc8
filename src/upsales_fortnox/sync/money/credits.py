"""How the sync reads an invoice's credit (shell): a credit invoice that stands credits its
total, a cancelled one (makulerad) nothing, whatever the settings
(:data:`~upsales_fortnox.integrations.fortnox.money_facts.CANCELLED_CREDIT_STAYS_NAMED`); with
``creditInvoices`` one for less than the invoice's total leaves it live. Every path that asks
whether an invoice still lives (the inbound document sync, the rest of a deal, the search for
a won deal's document, the report) reads it here."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from upsales_fortnox.domain.inbound.document_changes import is_cancelled
from upsales_fortnox.domain.payment_status import is_full_credit
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Invoice
from upsales_fortnox.integrations.ports import FortnoxPort

ZERO: Final = Decimal(0)


def reference(value: str | None) -> str | None:
    """A document reference; Fortnox writes ``0`` (or nothing) for none."""
    text = (value or "").strip()
    return None if text in ("", "0") else text


async def named_credit(fortnox: FortnoxPort, invoice: Invoice) -> Invoice | None:
    """The credit invoice that ``invoice`` names (None, with no call, when it names none; None
    too when it is gone)."""
    number = reference(invoice.CreditInvoiceReference)
    invoice_number = parse_digits(number) if number is not None else None
    if invoice.Credit or invoice_number is None:
        return None
    try:
        return await fortnox.get_invoice(invoice_number)
    except FortnoxNotFound:
        return None


def credited_amount(credit: Invoice | None) -> Decimal:
    """What a credit invoice credits: its total, nothing once it is cancelled (a credit made by
    mistake and cancelled before booking, which Fortnox may still name on the invoice it was
    made of:
    :data:`~upsales_fortnox.integrations.fortnox.money_facts.CANCELLED_CREDIT_STAYS_NAMED`)."""
    if credit is None or credit.Total is None or credit.Cancelled:
        return ZERO
    return abs(credit.Total)


def credit_stands(credit: Invoice | None) -> bool:
    """Whether ``credit`` is a credit invoice that stands: not cancelled, its total known."""
    return credit is not None and credit.Total is not None and not credit.Cancelled


def is_partial_credit(invoice: Invoice, credit: Invoice | None) -> bool:
    """Credited by a credit invoice for less than its total (by nothing, when the credit
    invoice is cancelled): not a cancellation. (A credit of an invoice of nothing is full.)"""
    if credit is None:
        return False
    return not is_full_credit(
        invoice.Total or ZERO, credited_amount(credit), stands=credit_stands(credit)
    )


def credit_leaves_live(invoice: Invoice, credit: Invoice | None, *, credit_invoices: bool) -> bool:
    """Whether ``credit``, the credit invoice ``invoice`` names, leaves it live (not a
    cancellation): a cancelled credit credits nothing, whatever the setting; with
    ``creditInvoices`` one for less than the invoice's total is a partial credit (without it,
    any credit that stands is a cancellation). False when there is no credit (or it is gone)."""
    if credit is None:
        return False
    if credit.Cancelled:
        return True
    return credit_invoices and is_partial_credit(invoice, credit)


async def lives_beside_its_credit(
    fortnox: FortnoxPort, invoice: Invoice, *, credit_invoices: bool
) -> bool:
    """Whether ``invoice`` (read) is neither cancelled nor credited in full, as the sync reads
    it (:func:`credit_leaves_live`): its credit invoice read only when it names one (one call)."""
    if invoice.Credit or invoice.Cancelled:
        return False
    if not is_cancelled(invoice):
        return True
    credit = await named_credit(fortnox, invoice)  # gone: as the sync reads it, credited
    return credit_leaves_live(invoice, credit, credit_invoices=credit_invoices)
