"""Orders, invoices and offers: create, update and the computed (read-only) totals.

Choices:

- ``DocumentNumber`` is assigned from the kind's series when omitted; a given number must be
  unused. Numbers are integers inside and text on the wire; references to other documents
  (``InvoiceReference``, ``OrderReference``, ``OfferReference``, ``CreditInvoiceReference``)
  likewise, 0 (``"0"``) for none.
- Customer data (name, addresses, currency, price list, references, terms) is copied from the
  customer when the document does not give it. A customer made inactive gets new documents
  unless its tenant refuses them (``facts.INACTIVE_CUSTOMER_DOCUMENTS_REFUSED``). An update to
  another ``CustomerNumber`` takes only the new customer's name (unless given) and keeps the
  rest of the old customer's data: whether Fortnox does is unknown, and this is the answer
  under which a client that sends none of it goes wrong.
- Rows (spec, ``PUT /3/orders/{DocumentNumber}``): sending the rows list replaces the row set.
  When some row has a ``RowId``, that row updates the row with that id and rows without one are
  new; when no row has one, rows update the existing rows in order and any further rows are
  new. Rows left out are removed, and every row gets a new ``RowId`` on every update.
- New rows take their description, unit and VAT from the article, and their price from the
  document's price list (the highest from-quantity tier not above the row's quantity; grossed
  up by the VAT when ``VATIncluded``). Order rows need ``OrderedQuantity``; ``DeliveredQuantity``
  defaults to it. Invoice and offer rows without a quantity have quantity 0.
- A document that may no longer change (cancelled; invoiced order; booked invoice; completed
  offer) refuses PUT with 400. An offer's completed state (set in Fortnox's UI; the spec has no
  such field) is kept internally, set only by the admin seed, and read by ``filter=completed``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ufs_sandboxes.fortnox import errors
from ufs_sandboxes.fortnox.facts import (
    ALLOWED_VAT_PERCENTS,
    BOOKED_INVOICE_ERROR_CODE,
    DEFAULT_OFFER_VALIDITY_DAYS,
    DEFAULT_PRICE_LIST,
    DEFAULT_TERMS_OF_PAYMENT_DAYS,
    DEFAULT_VAT_PERCENT,
    DOCUMENT_NOT_FOUND_CODE,
    DOCUMENT_STATE_ERROR_CODE,
    MAX_DOCUMENT_ROWS,
    ROUND_OFF_CURRENCY,
)
from ufs_sandboxes.fortnox.fields import (
    Entity,
    apply_defaults,
    parse_fields,
    refuse_unknown,
    require_object,
    validation_error,
)
from ufs_sandboxes.fortnox.resources.document_kinds import INVOICES, ORDERS, DocumentKind
from ufs_sandboxes.fortnox.resources.prices import price_for_quantity
from ufs_sandboxes.fortnox.tenant import Tenant
from ufs_sandboxes.fortnox.totals import (
    HUNDRED,
    document_totals,
    excluding_vat,
    round_ore,
    row_total,
)

_ZERO = Decimal(0)
_COPIED_FROM_CUSTOMER = (
    ("CustomerName", "Name"),
    ("Address1", "Address1"),
    ("Address2", "Address2"),
    ("City", "City"),
    ("ZipCode", "ZipCode"),
    ("Country", "Country"),
    ("OrganisationNumber", "OrganisationNumber"),
    ("Phone1", "Phone1"),
    ("Phone2", "Phone2"),
    ("DeliveryName", "DeliveryName"),
    ("DeliveryAddress1", "DeliveryAddress1"),
    ("DeliveryAddress2", "DeliveryAddress2"),
    ("DeliveryCity", "DeliveryCity"),
    ("DeliveryZipCode", "DeliveryZipCode"),
    ("YourReference", "YourReference"),
    ("OurReference", "OurReference"),
    ("TermsOfPayment", "TermsOfPayment"),
)


def document_not_found(kind: DocumentKind) -> errors.FortnoxError:
    return errors.not_found(DOCUMENT_NOT_FOUND_CODE, f"Kan inte hitta dokumentet ({kind.single}).")


def get_document(tenant: Tenant, kind: DocumentKind, number: str) -> Entity:
    document = tenant.collection(kind.collection).get(number.strip())
    if document is None:
        raise document_not_found(kind)
    return document


def check_request_body(kind: DocumentKind, payload: Entity) -> None:
    """Refuse (2001399) a field the operation's request schema does not have: on invoices the
    read-only fields too (``fortnox_InvoicePayload``), on orders and offers only fields the
    full document lacks (read-only ones are then ignored). Seeds and actions skip this check."""
    refuse_unknown(kind.body_fields, payload)
    rows = payload.get(kind.rows_key)
    if isinstance(rows, list):
        for row in rows:
            if isinstance(row, dict):
                refuse_unknown(kind.row_body_fields, row)


def create_document(
    tenant: Tenant,
    kind: DocumentKind,
    payload: Entity,
    *,
    read_only_values: Entity | None = None,
) -> Entity:
    """Create a document from a client body. ``read_only_values`` are set by the sandbox itself
    (e.g. ``OrderReference`` on an invoice made by ``createinvoice``)."""
    values = parse_fields(kind.header, payload)
    raw_rows = values.pop(kind.rows_key, [])
    customer = _customer_of(tenant, values.get("CustomerNumber"))
    if customer["Active"] is False and tenant.refuses_documents_of_inactive_customers:
        raise validation_error(f"Kunden {customer['CustomerNumber']} är inaktiv")
    collection = tenant.collection(kind.collection)
    number = values.pop("DocumentNumber", None)
    if number is None:
        number = tenant.next_number(kind.collection, collection.items.__contains__)
    elif number <= 0 or str(number) in collection.items:
        raise validation_error(f"Dokumentnummer {number} används redan")

    document = apply_defaults(kind.header, kind.read_only_defaults)
    for document_field, customer_field in _COPIED_FROM_CUSTOMER:
        document[document_field] = customer.get(customer_field)
    document["Currency"] = customer.get("Currency") or ROUND_OFF_CURRENCY
    document["PriceList"] = customer.get("PriceList") or DEFAULT_PRICE_LIST
    document.update(values)
    document["DocumentNumber"] = number
    _fill_dates(tenant, kind, document)
    _validate_header(tenant, document)
    _set_currency_rate(tenant, document, given="CurrencyRate" in values)
    document[kind.rows_key] = _build_rows(tenant, kind, raw_rows, [], document)
    if read_only_values:
        document.update(read_only_values)
    compute_totals(tenant, kind, document)
    if kind is INVOICES:
        document["OCR"] = _ocr(number)
    collection.put(str(number), document, tenant.now())
    tenant.emit(kind.collection, f"{kind.event_prefix}-created-v1", number)
    return document


def update_document(tenant: Tenant, kind: DocumentKind, number: str, payload: Entity) -> Entity:
    """A partial update; nothing changes unless the whole update is valid."""
    document = get_document(tenant, kind, number)
    check_editable(kind, document)
    values = parse_fields(kind.header, payload)
    if values.pop("DocumentNumber", document["DocumentNumber"]) != document["DocumentNumber"]:
        raise validation_error("Dokumentnummer kan inte ändras")
    raw_rows = values.pop(kind.rows_key, None)
    new_customer = values.get("CustomerNumber")
    if new_customer is not None and new_customer != document["CustomerNumber"]:
        customer = _customer_of(tenant, new_customer)
        values.setdefault("CustomerName", customer["Name"])
    candidate = {**document, **values}
    _validate_header(tenant, candidate)
    if raw_rows is not None:
        candidate[kind.rows_key] = _build_rows(
            tenant, kind, raw_rows, document[kind.rows_key], candidate
        )
    compute_totals(tenant, kind, candidate)
    document.clear()
    document.update(candidate)
    save_change(tenant, kind, document, "updated")
    return document


def save_change(tenant: Tenant, kind: DocumentKind, document: Entity, change: str) -> None:
    """Record a change to a stored document: modified time and a change event."""
    number = document["DocumentNumber"]
    tenant.collection(kind.collection).touch(str(number), tenant.now())
    tenant.emit(kind.collection, f"{kind.event_prefix}-{change}-v1", number)


def check_editable(kind: DocumentKind, document: Entity) -> None:
    if document["Cancelled"]:
        raise errors.bad_request(
            DOCUMENT_STATE_ERROR_CODE, "Dokumentet är makulerat och kan inte ändras"
        )
    if kind is ORDERS and document["InvoiceReference"]:
        raise errors.bad_request(
            DOCUMENT_STATE_ERROR_CODE, "Ordern är fakturerad och kan inte ändras"
        )
    if kind is INVOICES and document["Booked"]:
        raise errors.bad_request(
            BOOKED_INVOICE_ERROR_CODE, "Fakturan är bokförd och kan inte ändras"
        )
    if document.get("Completed"):
        raise errors.bad_request(
            errors.COMPLETED_DOCUMENT_LOCKED, "Ett klarmarkerat dokument kan inte ändras"
        )


def compute_totals(tenant: Tenant, kind: DocumentKind, document: Entity) -> None:
    """Set every row's ``Total`` and the document's Net, Gross, TotalVAT, RoundOff, Total."""
    vat_included = document["VATIncluded"] is True
    with_excluding_vat = "TotalExcludingVAT" in kind.row
    pairs: list[tuple[Decimal, Decimal]] = []
    for row in document[kind.rows_key]:
        total = row_total(
            row[kind.total_quantity] or _ZERO,
            row["Price"] or _ZERO,
            row["Discount"] or _ZERO,
            row["DiscountType"] or "PERCENT",
        )
        vat = row["VAT"] if row["VAT"] is not None else DEFAULT_VAT_PERCENT
        row["Total"] = total
        if with_excluding_vat:
            row["TotalExcludingVAT"] = excluding_vat(total, vat, vat_included=vat_included)
        pairs.append((total, vat))
    totals = document_totals(
        pairs,
        vat_included=vat_included,
        freight=document["Freight"] or _ZERO,
        administration_fee=document["AdministrationFee"] or _ZERO,
        round_to_krona=tenant.round_off and document["Currency"] == ROUND_OFF_CURRENCY,
    )
    document["Net"] = totals.net
    document["Gross"] = totals.gross
    document["TotalVAT"] = totals.total_vat
    document["RoundOff"] = totals.round_off
    document["Total"] = totals.total
    document["TotalToPay"] = totals.total
    if kind is INVOICES:
        document["Balance"] = totals.total


def _customer_of(tenant: Tenant, customer_number: object) -> Entity:
    if not customer_number:
        raise validation_error("Kundnummer saknas (CustomerNumber)")
    customer = tenant.customers.get(str(customer_number))
    if customer is None:
        raise errors.bad_request(
            errors.CUSTOMER_IN_REQUEST_NOT_FOUND,
            f"Kunde inte hämta/hitta kund (kundnummer {customer_number})",
        )
    return customer


def _fill_dates(tenant: Tenant, kind: DocumentKind, document: Entity) -> None:
    if document[kind.date_field] is None:
        document[kind.date_field] = tenant.today().isoformat()
    document_date = dt.date.fromisoformat(document[kind.date_field])
    if "DueDate" in kind.header and document["DueDate"] is None:
        days = _terms_days(document.get("TermsOfPayment"))
        document["DueDate"] = (document_date + dt.timedelta(days=days)).isoformat()
    if "ExpireDate" in kind.header and document["ExpireDate"] is None:
        expiry = document_date + dt.timedelta(days=DEFAULT_OFFER_VALIDITY_DAYS)
        document["ExpireDate"] = expiry.isoformat()


def _terms_days(terms: object) -> int:
    if isinstance(terms, str) and terms.isdigit():
        return int(terms)
    return DEFAULT_TERMS_OF_PAYMENT_DAYS


def _set_currency_rate(tenant: Tenant, document: Entity, *, given: bool) -> None:
    """SEK documents have rate 1; a foreign one takes the register's rate unless the request
    names one (Fortnox's behaviour: amounts stay in the document's currency, the rate values
    them in SEK)."""
    rate, unit = tenant.currency_rates[document["Currency"]]
    if document["Currency"] == ROUND_OFF_CURRENCY or not given:
        document["CurrencyRate"] = rate
        document["CurrencyUnit"] = unit
    elif not document.get("CurrencyUnit"):
        document["CurrencyUnit"] = unit


def _validate_header(tenant: Tenant, document: Entity) -> None:
    if document["Currency"] not in tenant.currencies:
        raise validation_error(f"Valutan finns inte ({document['Currency']})")
    if tenant.pricelists.get(document["PriceList"]) is None:
        raise validation_error(f"Prislistan finns inte ({document['PriceList']})")


def _build_rows(
    tenant: Tenant,
    kind: DocumentKind,
    raw_rows: list[object],
    existing: list[Entity],
    document: Entity,
) -> list[Entity]:
    if len(raw_rows) > MAX_DOCUMENT_ROWS:
        raise validation_error(f"Högst {MAX_DOCUMENT_ROWS} rader per dokument")
    parsed = [parse_fields(kind.row, require_object(raw, kind.rows_key)) for raw in raw_rows]
    by_position = all(values.get("RowId") is None for values in parsed)
    existing_by_id = {row["RowId"]: row for row in existing}
    rows: list[Entity] = []
    for position, values in enumerate(parsed):
        row_id = values.pop("RowId", None)
        base: Entity | None = None
        if row_id is not None:
            base = existing_by_id.pop(row_id, None)
            if base is None:
                raise validation_error(f"Raden med RowId {row_id} finns inte")
        elif by_position and position < len(existing):
            base = existing[position]
        row = {**base, **values} if base is not None else _new_row(tenant, kind, values, document)
        row["RowId"] = tenant.next_number("rows", lambda _number: False)
        _validate_row(row)
        rows.append(row)
    return rows


def _new_row(tenant: Tenant, kind: DocumentKind, values: Entity, document: Entity) -> Entity:
    row = apply_defaults(
        kind.row, {"Discount": _ZERO, "DiscountType": "PERCENT", "HouseWork": False}
    )
    row.update(values)
    main_quantity = kind.quantity_fields[0]
    if kind is ORDERS:
        if row["OrderedQuantity"] is None:
            raise validation_error("Orderrader måste ha OrderedQuantity")
        if row["DeliveredQuantity"] is None:
            row["DeliveredQuantity"] = row["OrderedQuantity"]
        row["ReservedQuantity"] = _ZERO
    for quantity_field in kind.quantity_fields:
        if row[quantity_field] is None:
            row[quantity_field] = _ZERO
    article_number = row["ArticleNumber"]
    if article_number is not None:
        article = tenant.articles.get(article_number)
        if article is None:
            raise errors.bad_request(
                errors.ARTICLE_IN_REQUEST_NOT_FOUND, f"Kunde inte hitta artikel ({article_number})"
            )
        for field_name in ("Description", "Unit", "VAT"):
            if row[field_name] is None:
                row[field_name] = article[field_name]
    if row["VAT"] is None:
        row["VAT"] = DEFAULT_VAT_PERCENT
    if row["Price"] is None:
        row["Price"] = _list_price(tenant, row, document, row[main_quantity])
    return row


def _list_price(tenant: Tenant, row: Entity, document: Entity, quantity: Decimal) -> Decimal:
    if row["ArticleNumber"] is None:
        return _ZERO
    price = price_for_quantity(tenant, document["PriceList"], row["ArticleNumber"], quantity)
    if price is None:
        return _ZERO
    if document["VATIncluded"] is True:
        return round_ore(price * (HUNDRED + row["VAT"]) / HUNDRED)
    return price


def _validate_row(row: Entity) -> None:
    if row["VAT"] not in ALLOWED_VAT_PERCENTS:
        raise validation_error(f"Ogiltig momssats ({row['VAT']})")
    discount = row["Discount"] or _ZERO
    if row["DiscountType"] == "PERCENT" and not _ZERO <= discount <= HUNDRED:
        raise validation_error("Rabatt i procent måste vara mellan 0 och 100")


def _ocr(number: int) -> str:
    """The document number with a Luhn check digit, as Swedish OCR references are built."""
    digits = str(number)
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str((10 - total % 10) % 10)
