"""Document actions (``PUT /3/{documents}/{n}/{action}``, empty body).

Choices where Fortnox is *unverified*:

- ``createinvoice`` invoices each row's ``DeliveredQuantity``. When some row has
  DeliveredQuantity < OrderedQuantity it also creates the backorder ("restorder") itself, as
  the UI does after its prompt: a new order with ``OrderType`` "Backorder", the same header
  (customer, references, ``YourOrderNumber``, ``ExternalInvoiceReference1/2``, remarks) and one
  row per short row with the rest as both ordered and delivered quantity (fees stay on the
  first invoice). No field links the
  backorder to its original (Fortnox's link field is unknown); the original order keeps its rows
  and gets ``InvoiceReference``. Rows with nothing delivered (and something ordered) go to the
  backorder only.
- ``credit`` creates the credit invoice (negated quantities, ``Credit`` true,
  ``CreditInvoiceReference`` pointing back) and answers with the *original* invoice, whose
  ``CreditInvoiceReference`` now names the credit invoice. Only once per invoice.
- ``bookkeep`` sets ``Booked`` and a voucher (series "B"); a booked invoice refuses PUT and
  ``cancel`` (use ``credit``). Event: ``invoice-bookkeep-v1``. A credit invoice booked leaves
  its original's ``Balance`` as it was, unless the tenant's ``credit_lowers_credited_balance``
  (``facts.CREDIT_LOWERS_CREDITED_BALANCE``).
- ``cancel`` of a credit invoice leaves its original naming it, unless the tenant's
  ``cancelled_credit_clears_reference`` (``facts.CANCELLED_CREDIT_CLEARS_REFERENCE``).
- ``cancel`` on an offer emits ``offer-canceled-v1`` (Fortnox's spelling for offers; orders and
  invoices emit ``…-cancelled-v1``).
- ``externalprint`` marks the document ``Sent``.
- ``createorder`` of an offer turned into an order already (its ``OrderReference`` set) is
  refused (400, ``DOCUMENT_STATE_ERROR_CODE``) rather than making a second order; the spec
  gives only the created order (200, ``{"Order": …}``) as its answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ufs_sandboxes.fortnox import errors
from ufs_sandboxes.fortnox.facts import (
    BOOKED_INVOICE_ERROR_CODE,
    DOCUMENT_STATE_ERROR_CODE,
    VOUCHER_SERIES_FOR_INVOICES,
)
from ufs_sandboxes.fortnox.fields import Entity
from ufs_sandboxes.fortnox.resources.document_kinds import (
    INVOICES,
    OFFERS,
    ORDERS,
    DocumentKind,
)
from ufs_sandboxes.fortnox.resources.documents import (
    create_document,
    get_document,
    save_change,
)
from ufs_sandboxes.fortnox.tenant import Tenant

_ZERO = Decimal(0)
_ZERO_REFERENCE = 0
"""What a cleared document reference reads (Fortnox writes ``0`` for none)."""
_COMMON_HEADER = (
    "CustomerNumber",
    "CustomerName",
    "Address1",
    "Address2",
    "City",
    "ZipCode",
    "Country",
    "OrganisationNumber",
    "Phone1",
    "Phone2",
    "DeliveryName",
    "DeliveryAddress1",
    "DeliveryAddress2",
    "DeliveryCity",
    "DeliveryZipCode",
    "DeliveryCountry",
    "DeliveryDate",
    "Currency",
    "CurrencyRate",
    "CurrencyUnit",
    "OurReference",
    "YourReference",
    "Remarks",
    "Comments",
    "VATIncluded",
    "Freight",
    "AdministrationFee",
    "PriceList",
    "Project",
    "CostCenter",
    "TermsOfPayment",
    "TermsOfDelivery",
    "WayOfDelivery",
    "Language",
)
_FEES = ("Freight", "AdministrationFee")
"""Charged once: not carried to a backorder; negated on a credit invoice."""
_ORDER_REFERENCES = ("YourOrderNumber", "ExternalInvoiceReference1", "ExternalInvoiceReference2")
_ROW_FIELDS = (
    "ArticleNumber",
    "Description",
    "Price",
    "Discount",
    "DiscountType",
    "VAT",
    "Unit",
    "AccountNumber",
    "CostCenter",
    "Project",
)


def _state_error(message: str) -> errors.FortnoxError:
    return errors.bad_request(DOCUMENT_STATE_ERROR_CODE, message)


def _copy(source: Entity, names: Sequence[str]) -> Entity:
    return {name: source[name] for name in names if source.get(name) is not None}


def create_invoice_from_order(tenant: Tenant, order_number: str) -> Entity:
    order = get_document(tenant, ORDERS, order_number)
    if order["Cancelled"]:
        raise _state_error("Ordern är makulerad")
    if order["InvoiceReference"]:
        raise _state_error("Ordern är redan fakturerad")
    invoice_rows: list[Entity] = []
    backorder_rows: list[Entity] = []
    for row in order["OrderRows"]:
        ordered: Decimal = row["OrderedQuantity"]
        delivered: Decimal = row["DeliveredQuantity"]
        if delivered != 0 or ordered == 0:
            invoice_rows.append({**_copy(row, _ROW_FIELDS), "DeliveredQuantity": delivered})
        rest = ordered - delivered
        if rest > 0:
            backorder_rows.append(
                {**_copy(row, _ROW_FIELDS), "OrderedQuantity": rest, "DeliveredQuantity": rest}
            )
    header = _copy(order, _COMMON_HEADER + _ORDER_REFERENCES)
    invoice = create_document(
        tenant,
        INVOICES,
        {**header, "InvoiceRows": invoice_rows},
        read_only_values={
            "OrderReference": order["DocumentNumber"],
            "OfferReference": order["OfferReference"],
        },
    )
    order["InvoiceReference"] = invoice["DocumentNumber"]
    save_change(tenant, ORDERS, order, "updated")
    if backorder_rows:
        backorder_header = {k: v for k, v in header.items() if k not in _FEES}
        create_document(
            tenant,
            ORDERS,
            {
                **backorder_header,
                "DeliveryState": order["DeliveryState"],
                "OrderRows": backorder_rows,
            },
            read_only_values={"OrderType": "Backorder", "OfferReference": order["OfferReference"]},
        )
    return invoice


def create_order_from_offer(tenant: Tenant, offer_number: str) -> Entity:
    offer = get_document(tenant, OFFERS, offer_number)
    if offer["Cancelled"]:
        raise _state_error("Offerten är makulerad")
    if offer["Completed"]:
        raise errors.bad_request(
            errors.COMPLETED_DOCUMENT_LOCKED, "Ett klarmarkerat dokument kan inte ändras"
        )
    if offer["OrderReference"]:
        raise _state_error("Order är redan skapad från offerten")
    rows = [
        {**_copy(row, _ROW_FIELDS), "OrderedQuantity": row["Quantity"]}
        for row in offer["OfferRows"]
    ]
    order = create_document(
        tenant,
        ORDERS,
        {**_copy(offer, _COMMON_HEADER), "OrderRows": rows},
        read_only_values={"OfferReference": offer["DocumentNumber"]},
    )
    offer["OrderReference"] = order["DocumentNumber"]
    save_change(tenant, OFFERS, offer, "updated")
    return order


def cancel_document(tenant: Tenant, kind: DocumentKind, number: str) -> Entity:
    document = get_document(tenant, kind, number)
    if document["Cancelled"]:
        raise _state_error("Dokumentet är redan makulerat")
    if kind is ORDERS and document["InvoiceReference"]:
        raise _state_error("Ordern är fakturerad och kan inte makuleras")
    if kind is INVOICES and document["Booked"]:
        raise errors.bad_request(
            BOOKED_INVOICE_ERROR_CODE, "Fakturan är bokförd och kan inte makuleras, kreditera den"
        )
    if kind is OFFERS and document["Completed"]:
        raise errors.bad_request(
            errors.COMPLETED_DOCUMENT_LOCKED, "Ett klarmarkerat dokument kan inte ändras"
        )
    document["Cancelled"] = True
    save_change(tenant, kind, document, "canceled" if kind is OFFERS else "cancelled")
    if kind is INVOICES and document["Credit"] and tenant.cancelled_credit_clears_reference:
        original = get_document(tenant, INVOICES, str(document["CreditInvoiceReference"]))
        original["CreditInvoiceReference"] = _ZERO_REFERENCE
        save_change(tenant, INVOICES, original, "updated")
    return document


def bookkeep_invoice(tenant: Tenant, number: str) -> Entity:
    invoice = get_document(tenant, INVOICES, number)
    if invoice["Cancelled"]:
        raise _state_error("Fakturan är makulerad")
    if invoice["Booked"]:
        raise errors.bad_request(BOOKED_INVOICE_ERROR_CODE, "Fakturan är redan bokförd")
    invoice["Booked"] = True
    invoice["VoucherSeries"] = VOUCHER_SERIES_FOR_INVOICES
    invoice["VoucherNumber"] = tenant.next_number("vouchers", lambda _number: False)
    invoice["VoucherYear"] = int(invoice["InvoiceDate"][:4])
    save_change(tenant, INVOICES, invoice, "bookkeep")
    if invoice["Credit"] and tenant.credit_lowers_credited_balance:
        _lower_credited_balance(tenant, invoice)
    return invoice


def _lower_credited_balance(tenant: Tenant, credit: Entity) -> None:
    """The booked credit's total (negative) off its original's balance; no event (as a
    payment's bookkeeping changes its invoice without one)."""
    original = get_document(tenant, INVOICES, str(credit["CreditInvoiceReference"]))
    original["Balance"] = original["Balance"] + credit["Total"]
    if original["Balance"] == 0:
        original["FinalPayDate"] = credit["InvoiceDate"]
    tenant.collection(INVOICES.collection).touch(str(original["DocumentNumber"]), tenant.now())


def credit_invoice(tenant: Tenant, number: str) -> Entity:
    invoice = get_document(tenant, INVOICES, number)
    if invoice["Cancelled"]:
        raise _state_error("Fakturan är makulerad")
    if invoice["Credit"]:
        raise _state_error("En kreditfaktura kan inte krediteras")
    if invoice["CreditInvoiceReference"]:
        raise _state_error("Fakturan är redan krediterad")
    rows = [
        {**_copy(row, _ROW_FIELDS), "DeliveredQuantity": -row["DeliveredQuantity"]}
        for row in invoice["InvoiceRows"]
    ]
    header = _copy(invoice, _COMMON_HEADER + _ORDER_REFERENCES)
    for fee in _FEES:
        header[fee] = -header.get(fee, _ZERO)
    credit = create_document(
        tenant,
        INVOICES,
        {**header, "InvoiceRows": rows},
        read_only_values={"Credit": True, "CreditInvoiceReference": invoice["DocumentNumber"]},
    )
    invoice["CreditInvoiceReference"] = credit["DocumentNumber"]
    save_change(tenant, INVOICES, invoice, "updated")
    return invoice


def mark_sent(tenant: Tenant, kind: DocumentKind, number: str) -> Entity:
    document = get_document(tenant, kind, number)
    if document["Cancelled"]:
        raise _state_error("Dokumentet är makulerat")
    document["Sent"] = True
    save_change(tenant, kind, document, "updated")
    return document
