"""Invoice payments: ``/3/invoicepayments`` (spec schemas ``fortnox_InvoicePayment`` and
``fortnox_InvoicePaymentListItem``; scope ``payment``).

A payment is registered on an invoice (``InvoiceNumber``), then bookkept; bookkeeping is what
changes the invoice: its ``Balance`` goes down by the amount, and when it reaches zero the
invoice is fully paid and ``FinalPayDate`` is the payment's date. Events (topic ``invoices``,
``entityId`` = the *payment's* number, reference fortnox.md §6): ``invoicepayment-bookkeep-v1``
and ``invoicepayment-deleted-v1``.

Choices where Fortnox is *unverified*, kept here:

- Only a booked invoice takes a payment, and a payment changes the invoice's balance when it is
  bookkept (not when registered); a booked payment cannot be changed or deleted.
- On an invoice in a foreign currency the payment's ``Currency`` is the invoice's,
  ``AmountCurrency`` is the amount in it and ``Amount`` the amount in SEK (at the payment's
  ``CurrencyRate``/``CurrencyUnit``, by default the invoice's): the field's description in
  Fortnox's API documentation, "Amount in the specified currency of the payment. Required if
  Currency is other than SEK" (as the standout-fortnox SDK, generated from it, carries it). On a
  SEK invoice both are the amount in SEK. The invoice's ``Balance`` (in its own currency) goes
  down by ``AmountCurrency``.
- ``Amount`` defaults to the invoice's balance, ``PaymentDate`` to today,
  ``ModeOfPaymentAccount`` to :data:`DEFAULT_PAYMENT_ACCOUNT`; the voucher series is
  :data:`PAYMENT_VOUCHER_SERIES` (Fortnox's default series for customer payments).
- Bookkeeping a payment touches the invoice's ``lastmodified`` but sends no invoice event.
- A write-off row's ``Amount`` (``WriteOffs``, avskrivning) lowers the invoice's balance as the
  payment's ``Amount`` does, with the same sign; the list shows only ``WriteOffExist``.
- Fields the spec has but nothing here knows a value for (``Source``, ``ModeOfPayment`` unless
  sent, vouchers before bookkeeping) are left out rather than sent as null.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from ufs_sandboxes.fortnox import errors
from ufs_sandboxes.fortnox.facts import DOCUMENT_STATE_ERROR_CODE
from ufs_sandboxes.fortnox.fields import (
    DATE,
    DECIMAL,
    INT,
    ROWS,
    Entity,
    Kind,
    Schema,
    parse_fields,
    read_only,
    text,
    validation_error,
)
from ufs_sandboxes.fortnox.listing import (
    ListSpec,
    Page,
    invalid_parameter,
    list_page,
    number_key,
    past_the_last,
)
from ufs_sandboxes.fortnox.resources.document_kinds import INVOICES
from ufs_sandboxes.fortnox.resources.documents import get_document
from ufs_sandboxes.fortnox.tenant import Collection, Tenant

TOPIC: Final = "invoices"
COLLECTION: Final = "invoicepayments"
BOOKKEEP_EVENT: Final = "invoicepayment-bookkeep-v1"
DELETED_EVENT: Final = "invoicepayment-deleted-v1"
INVOICE_NUMBER_PARAMETER: Final = "invoicenumber"
DEFAULT_PAYMENT_ACCOUNT: Final = 1930
PAYMENT_VOUCHER_SERIES: Final = "C"
_ZERO: Final = Decimal(0)
HOME_CURRENCY: Final = "SEK"

FIELDS: Schema = {
    "Number": read_only(),
    "InvoiceNumber": INT,
    "Amount": DECIMAL,
    "AmountCurrency": DECIMAL,
    "Booked": read_only(Kind.BOOL),
    "Currency": read_only(),
    "CurrencyRate": DECIMAL,
    "CurrencyUnit": DECIMAL,
    "ExternalInvoiceReference1": text(1024),
    "ExternalInvoiceReference2": text(1024),
    "InvoiceCustomerName": read_only(),
    "InvoiceCustomerNumber": read_only(),
    "InvoiceDueDate": read_only(),
    "InvoiceOCR": read_only(),
    "InvoiceTotal": read_only(),
    "ModeOfPayment": text(1024),
    "ModeOfPaymentAccount": INT,
    "PaymentDate": DATE,
    "Source": read_only(),
    "VoucherNumber": read_only(Kind.INT),
    "VoucherSeries": read_only(),
    "VoucherYear": read_only(Kind.INT),
    "WriteOffs": ROWS,
}
LIST_FIELDS: Final = (
    "Amount",
    "Booked",
    "Currency",
    "CurrencyRate",
    "CurrencyUnit",
    "InvoiceNumber",
    "Number",
    "PaymentDate",
    "Source",
    "WriteOffExist",
)
LIST_SPEC: Final = ListSpec(
    sort_keys={"paymentdate": lambda e: (e["PaymentDate"], number_key(e["Number"]))}
)
_FROM_INVOICE: Final = (
    ("InvoiceCustomerName", "CustomerName"),
    ("InvoiceCustomerNumber", "CustomerNumber"),
    ("InvoiceDueDate", "DueDate"),
    ("InvoiceOCR", "OCR"),
    ("ExternalInvoiceReference1", "ExternalInvoiceReference1"),
    ("ExternalInvoiceReference2", "ExternalInvoiceReference2"),
)


def _ore(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def payments_of(tenant: Tenant) -> Collection:
    return tenant.collection(COLLECTION)


def _not_found() -> errors.FortnoxError:
    return errors.not_found(errors.NO_VALID_IDENTIFIER, "Kan inte hitta inbetalningen.")


def _state_error(message: str) -> errors.FortnoxError:
    return errors.bad_request(DOCUMENT_STATE_ERROR_CODE, message)


def get_payment(tenant: Tenant, number: str) -> Entity:
    payment = payments_of(tenant).get(number.strip())
    if payment is None:
        raise _not_found()
    return payment


def _payable_invoice(tenant: Tenant, invoice_number: object) -> Entity:
    if invoice_number is None:
        raise validation_error("Fakturanummer saknas (InvoiceNumber)")
    try:
        invoice = get_document(tenant, INVOICES, str(invoice_number))
    except errors.FortnoxError:
        raise validation_error(f"Fakturan finns inte ({invoice_number})") from None
    if invoice["Cancelled"]:
        raise _state_error("Fakturan är makulerad")
    if not invoice["Booked"]:
        raise _state_error("Fakturan måste vara bokförd innan en inbetalning registreras")
    return invoice


def _check_values(values: Entity) -> None:
    account = values.get("ModeOfPaymentAccount")
    if account is not None and not 1000 <= account <= 9999:
        raise validation_error(f"Ogiltigt konto ({account})")
    for name in ("CurrencyRate", "CurrencyUnit"):
        if name in values and values[name] <= 0:
            raise validation_error(f"{name} måste vara större än noll")
    if values.get("Amount") == _ZERO:
        raise validation_error("Beloppet får inte vara noll")
    for row in values.get("WriteOffs", []):
        if not isinstance(row, dict) or not isinstance(row.get("Amount"), int | Decimal):
            raise validation_error("Ogiltig avskrivning (WriteOffs)")


def create_payment(tenant: Tenant, payload: Entity) -> Entity:
    values = parse_fields(FIELDS, payload)
    invoice = _payable_invoice(tenant, values.get("InvoiceNumber"))
    _check_values(values)
    collection = payments_of(tenant)
    number = str(tenant.next_number(COLLECTION, collection.items.__contains__))
    foreign = invoice["Currency"] != HOME_CURRENCY
    rate = values.get("CurrencyRate", Decimal(invoice["CurrencyRate"]) if foreign else Decimal(1))
    unit = values.get("CurrencyUnit", Decimal(invoice["CurrencyUnit"]) if foreign else Decimal(1))
    amount, in_currency = values.get("Amount"), values.get("AmountCurrency")
    if not foreign:
        amount = in_currency = amount if amount is not None else invoice["Balance"]
    elif in_currency is None:
        in_currency = invoice["Balance"] if amount is None else _ore(amount * unit / rate)
    if amount is None:
        amount = _ore(in_currency * rate / unit)
    payment: Entity = {
        "Number": number,
        "InvoiceNumber": invoice["DocumentNumber"],
        "Amount": amount,
        "AmountCurrency": in_currency,
        "Booked": False,
        "Currency": invoice["Currency"],
        "CurrencyRate": rate,
        "CurrencyUnit": unit,
        "InvoiceTotal": invoice["Total"],
        "ModeOfPaymentAccount": values.get("ModeOfPaymentAccount", DEFAULT_PAYMENT_ACCOUNT),
        "PaymentDate": values.get("PaymentDate") or tenant.today().isoformat(),
        "WriteOffs": values.get("WriteOffs", []),
    }
    for payment_field, invoice_field in _FROM_INVOICE:
        if invoice.get(invoice_field) is not None:
            payment[payment_field] = invoice[invoice_field]
    for name in ("ModeOfPayment", "ExternalInvoiceReference1", "ExternalInvoiceReference2"):
        if values.get(name) is not None:
            payment[name] = values[name]
    collection.put(number, payment, tenant.now())
    return payment


def _unbooked(tenant: Tenant, number: str) -> Entity:
    payment = get_payment(tenant, number)
    if payment["Booked"]:
        raise _state_error("Inbetalningen är bokförd och kan inte ändras")
    return payment


def update_payment(tenant: Tenant, number: str, payload: Entity) -> Entity:
    payment = _unbooked(tenant, number)
    values = parse_fields(FIELDS, payload)
    if values.pop("InvoiceNumber", payment["InvoiceNumber"]) != payment["InvoiceNumber"]:
        raise validation_error("Fakturanummer kan inte ändras")
    _check_values(values)
    payment.update(values)
    payments_of(tenant).touch(payment["Number"], tenant.now())
    return payment


def delete_payment(tenant: Tenant, number: str) -> None:
    payment = _unbooked(tenant, number)
    payments_of(tenant).delete(payment["Number"])
    tenant.emit(TOPIC, DELETED_EVENT, payment["Number"])


def bookkeep_payment(tenant: Tenant, number: str) -> Entity:
    """Book the payment and apply it to its invoice (balance, fully paid)."""
    payment = _unbooked(tenant, number)
    invoice = _payable_invoice(tenant, payment["InvoiceNumber"])
    payment["Booked"] = True
    payment["VoucherSeries"] = PAYMENT_VOUCHER_SERIES
    payment["VoucherNumber"] = tenant.next_number("payment-vouchers", lambda _number: False)
    payment["VoucherYear"] = int(payment["PaymentDate"][:4])
    now = tenant.now()
    payments_of(tenant).touch(payment["Number"], now)
    written_off = sum((Decimal(row["Amount"]) for row in payment["WriteOffs"]), _ZERO)
    invoice["Balance"] = invoice["Balance"] - payment["AmountCurrency"] - written_off
    if invoice["Balance"] == 0:
        invoice["FinalPayDate"] = payment["PaymentDate"]
    tenant.collection(INVOICES.collection).touch(str(invoice["DocumentNumber"]), now)
    tenant.emit(TOPIC, BOOKKEEP_EVENT, payment["Number"])
    return payment


def list_payments(tenant: Tenant, query: Mapping[str, str]) -> Page:
    """``invoicenumber`` keeps one invoice's payments; ``lastmodified``, ``sortby=paymentdate``
    and paging as on every list."""
    query = dict(query)
    collection = payments_of(tenant)
    wanted = query.pop(INVOICE_NUMBER_PARAMETER, None)  # applied here, not by list_page
    if wanted is not None:
        if not wanted.isdigit():
            raise invalid_parameter(f"{INVOICE_NUMBER_PARAMETER} ({wanted})")
        narrowed = Collection()
        for key, payment in collection.items.items():
            if payment["InvoiceNumber"] == int(wanted):
                narrowed.put(key, payment, collection.modified[key])
        collection = narrowed
    page = list_page(
        collection,
        query,
        LIST_SPEC,
        tenant.today(),
        last_changed_first=tenant.lists_unsorted_last_changed_first,
    )
    return past_the_last(page, tenant.refuses_pages_past_the_last)


def wire_payment(payment: Entity, url: str) -> Entity:
    """The payment as the spec types it (``InvoiceTotal`` is a string)."""
    shown: Entity = {"@url": url}
    for name, value in payment.items():
        shown[name] = value
    shown["InvoiceTotal"] = f"{Decimal(payment['InvoiceTotal']):.2f}"
    shown["WriteOffs"] = [dict(row) for row in payment["WriteOffs"]]
    return shown


def wire_list_item(payment: Entity, url: str) -> Entity:
    item: Entity = {"@url": url}
    for name in LIST_FIELDS:
        if name == "WriteOffExist":
            item[name] = bool(payment["WriteOffs"])
        elif name in payment:
            item[name] = payment[name]
    return item
