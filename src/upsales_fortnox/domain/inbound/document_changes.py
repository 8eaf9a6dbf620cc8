"""Fortnox orders, invoices and offers → Upsales orders: what a document says, and its mapping
to an Upsales order (pure).

Rows: each document row with a quantity becomes order rows of the article's product.
``listPrice`` is the row's unit price before discount and ``price`` the net unit price after it.
A PERCENT discount gives ``price * (1 - d/100)``, an AMOUNT discount takes ``d`` off the row
total; the row total is rounded to öre as Fortnox rounds it. The Upsales order value (sum of
quantity * price) is Fortnox's ``Net`` to the öre: the rows' amounts excluding VAT add up to the
document's net and a row whose amount does not divide by its quantity becomes two rows of the
same product (see :mod:`.row_amounts`, which says why). With ``VATIncluded`` the prices are
converted to amounts excluding VAT (Upsales values exclude VAT). Rows without an article but
with an amount use the product :data:`~.products.NO_ARTICLE_NUMBER`; rows with neither (text
rows) and rows without a quantity are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from upsales_fortnox.core.texts import CATALOGUE, say
from upsales_fortnox.domain.currency import (
    HOME_CURRENCY,
    HOME_RATE,
    foreign_currency,
    upsales_rate,
)
from upsales_fortnox.domain.fingerprint import fingerprint
from upsales_fortnox.domain.identity import normalise_article_number
from upsales_fortnox.domain.inbound.row_amounts import RowTotal, net_amounts, rows_net, split_row
from upsales_fortnox.domain.references import fortnox_document_reference
from upsales_fortnox.integrations.fortnox.models import Invoice, Offer, Order
from upsales_fortnox.integrations.upsales.models import (
    CustomValue,
    OrderDraft,
    OrderRow,
    Ref,
    UserRef,
)
from upsales_fortnox.vocabulary import FortnoxType

FortnoxDocument = Order | Invoice | Offer

ORE: Final = Decimal("0.01")
HUNDRED: Final = Decimal(100)
ZERO: Final = Decimal(0)
UNIT_PRICE_PLACES: Final = Decimal("0.0001")

DESCRIPTION_TEXTS: Final = {
    FortnoxType.INVOICE: "document.imported.invoice",
    FortnoxType.ORDER: "document.imported.order",
    FortnoxType.OFFER: "document.imported.offer",
}
"""The catalogue's text for the description of an order made of each type of document."""


def described_as(fortnox_type: FortnoxType, number: object) -> str:
    """The description an order made of Fortnox document ``number`` gets (Swedish)."""
    return say(DESCRIPTION_TEXTS[fortnox_type], number=number)


def descriptions_made_here(fortnox_type: FortnoxType, number: object) -> list[str]:
    """Every description the import has given an order made of document ``number``: the
    current one first, then the other catalogue languages'."""
    key = DESCRIPTION_TEXTS[fortnox_type]
    current = described_as(fortnox_type, number)
    others = [template.format(number=number) for template in CATALOGUE[key].values()]
    return [current, *(text for text in others if text != current)]


def description_made_here(description: str) -> str | None:
    """An order description the import made, in any catalogue language (orders made before
    descriptions came from the catalogue carry the English one), as :func:`described_as`
    gives it now; None for any other description."""
    found = described_document(description)
    return described_as(*found) if found is not None else None


def described_document(description: str | None) -> tuple[FortnoxType, str] | None:
    """The Fortnox document an order description the import made names (in any catalogue
    language), as its type and number; None for any other description."""
    text = (description or "").strip()
    for fortnox_type, key in DESCRIPTION_TEXTS.items():
        for template in CATALOGUE[key].values():
            prefix = template.format(number="")
            number = text[len(prefix) :]
            if text.startswith(prefix) and number.isascii() and number.isdigit():
                return fortnox_type, number
    return None


def referenced_document(value: object) -> tuple[FortnoxType, str] | None:
    """The Fortnox document an order's ``FORTNOX_DOCUMENT`` value names (``"invoice 12"``, as
    :func:`~upsales_fortnox.domain.references.fortnox_document_reference` writes it), as its type
    and number; None for any other value."""
    kind, _, number = str(value or "").strip().partition(" ")
    number = number.strip()
    for fortnox_type in DESCRIPTION_TEXTS:
        if kind.casefold() == fortnox_type.value and number.isascii() and number.isdigit():
            return fortnox_type, number
    return None


def document_type(document: FortnoxDocument) -> FortnoxType:
    if isinstance(document, Invoice):
        return FortnoxType.INVOICE
    if isinstance(document, Offer):
        return FortnoxType.OFFER
    return FortnoxType.ORDER


def document_number(document: FortnoxDocument) -> str:
    return str(document.DocumentNumber)


def document_date(document: FortnoxDocument) -> dt.date | None:
    if isinstance(document, Invoice):
        return document.InvoiceDate
    if isinstance(document, Offer):
        return document.OfferDate
    return document.OrderDate


def _reference(value: str | None) -> str | None:
    """A document reference; Fortnox writes ``0`` (or nothing) for none."""
    text = (value or "").strip()
    return None if text in ("", "0") else text


def predecessor(document: FortnoxDocument) -> tuple[FortnoxType, str] | None:
    """The document this one was made from: an invoice's order (else offer), an order's offer."""
    if isinstance(document, Invoice):
        order = _reference(document.OrderReference)
        if order is not None:
            return FortnoxType.ORDER, order
        offer = _reference(document.OfferReference)
        return (FortnoxType.OFFER, offer) if offer is not None else None
    if isinstance(document, Order):
        offer = _reference(document.OfferReference)
        return (FortnoxType.OFFER, offer) if offer is not None else None
    return None


def successor(document: FortnoxDocument) -> tuple[FortnoxType, str] | None:
    """The order an offer was turned into."""
    if isinstance(document, Offer):
        order = _reference(document.OrderReference)
        return (FortnoxType.ORDER, order) if order is not None else None
    return None


def invoice_made_of(order: Order) -> bool:
    """Whether Fortnox turned the order into an invoice (its ``InvoiceReference``)."""
    return _reference(order.InvoiceReference) is not None


def is_cancelled(document: FortnoxDocument) -> bool:
    """Cancelled ("makulerad"); an invoice that has been credited counts as cancelled, since
    crediting is how a booked invoice is cancelled in Fortnox."""
    if document.Cancelled:
        return True
    if isinstance(document, Invoice) and not document.Credit:
        return _reference(document.CreditInvoiceReference) is not None
    return False


@dataclass(frozen=True)
class DocumentLine:
    """One valued row of a document, in Upsales terms (amounts exclude VAT)."""

    article_number: str | None
    quantity: Decimal
    list_price: Decimal
    """Unit price before discount."""
    price: Decimal
    """Net unit price after discount, in whole öre (``quantity * price`` is whole öre too)."""


def _quantity(row: Any) -> Decimal | None:
    for name in ("OrderedQuantity", "DeliveredQuantity", "Quantity"):
        if name in type(row).model_fields:
            value = getattr(row, name)
            return value if isinstance(value, Decimal) else None
    return None


def _round_ore(value: Decimal) -> Decimal:
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


def _unit(value: Decimal) -> Decimal:
    """A list (gross) unit price: exact, or rounded to :data:`UNIT_PRICE_PLACES` when it does not
    end there (it does not count in the order value)."""
    rounded = value.quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP)
    return value if rounded == value else rounded


def row_total(quantity: Decimal, price: Decimal, discount: Decimal, discount_type: str) -> Decimal:
    """The row's net total as Fortnox computes it, rounded to öre."""
    gross = quantity * price
    if discount_type == "AMOUNT":
        return _round_ore(gross - discount)
    return _round_ore(gross * (HUNDRED - discount) / HUNDRED)


def _rows(document: FortnoxDocument) -> list[Any]:
    if isinstance(document, Invoice):
        return list(document.InvoiceRows or [])
    if isinstance(document, Offer):
        return list(document.OfferRows or [])
    return list(document.OrderRows or [])


@dataclass(frozen=True)
class _ValuedRow:
    article_number: str | None
    quantity: Decimal
    list_price: Decimal
    """Unit price before discount, excluding VAT, unrounded."""
    total: RowTotal


def _valued_rows(document: FortnoxDocument) -> list[_ValuedRow]:
    """The rows that carry a quantity and a value (text rows and empty rows left out)."""
    vat_included = bool(document.VATIncluded)
    valued: list[_ValuedRow] = []
    for row in _rows(document):
        quantity = _quantity(row)
        if quantity is None:
            continue
        article = normalise_article_number(row.ArticleNumber)
        price = row.Price or ZERO
        total = row_total(quantity, price, row.Discount or ZERO, row.DiscountType or "PERCENT")
        if (quantity == 0 or (article is None and price == 0)) and total == 0:
            continue
        vat = row.VAT or ZERO
        if vat_included:
            price = price * HUNDRED / (HUNDRED + vat)
        valued.append(_ValuedRow(article, quantity, price, RowTotal(total, vat)))
    return valued


def document_net(document: FortnoxDocument) -> Decimal:
    """The value of the document's Upsales rows (:func:`document_lines`): its ``Net``, unless
    that totals other quantities than the rows' (an order partly delivered), then the rows'."""
    valued = _valued_rows(document)
    totals = [row.total for row in valued]
    if not totals:
        return ZERO
    return rows_net(totals, vat_included=bool(document.VATIncluded), net=document.Net)


def document_lines(document: FortnoxDocument) -> list[DocumentLine]:
    """The Upsales rows of the document: their value (quantity * price) is its ``Net``."""
    valued = _valued_rows(document)
    amounts = net_amounts(
        [row.total for row in valued], vat_included=bool(document.VATIncluded), net=document.Net
    )
    lines: list[DocumentLine] = []
    for row, amount in zip(valued, amounts, strict=True):
        parts = split_row(row.quantity, amount)
        whole_row = len(parts) == 1 and parts[0].quantity != row.quantity
        for part in parts:
            list_price = row.list_price * abs(row.quantity) if whole_row else row.list_price
            lines.append(
                DocumentLine(row.article_number, part.quantity, _unit(list_price), part.price)
            )
    return lines


def document_fingerprint(document: FortnoxDocument) -> str:
    """Over what the Upsales order takes from the document (not its state flags)."""
    date = document_date(document)
    fields: dict[str, Any] = {
        "customer": document.CustomerNumber,
        "date": date.isoformat() if date else None,
        "our_reference": document.OurReference,
        "currency": document.Currency,
        "rows": [
            [line.article_number, line.quantity, line.list_price, line.price]
            for line in document_lines(document)
        ],
    }
    if foreign_currency(document.Currency) is not None and document.CurrencyRate is not None:
        fields["rate"] = [document.CurrencyRate.normalize(), document.CurrencyUnit]
    return fingerprint(fields)


# --- the Upsales order ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderReferences:
    """The Upsales ids a document's order refers to, resolved by the shell."""

    company_id: int
    user_id: int
    product_ids: Mapping[str, int]
    """Article number → Upsales product id."""
    fallback_product_id: int | None = None
    """The :data:`~.products.NO_ARTICLE_NUMBER` product, for rows without a known article."""
    document_field_id: int | None = None
    """The order custom field with alias ``FORTNOX_DOCUMENT``, if the account has one."""
    document_url: CustomValue | None = None
    """The ``FORTNOX_DOCUMENT_URL`` value (setting ``documentLinks``), if the account has it."""


class MissingProduct(LookupError):
    """A row's article has no product and no fallback product was resolved."""


def needs_fallback_product(lines: list[DocumentLine], product_ids: Mapping[str, int]) -> bool:
    return not lines or any(
        line.article_number is None or line.article_number not in product_ids for line in lines
    )


def order_rows(lines: list[DocumentLine], refs: OrderReferences) -> list[OrderRow]:
    rows: list[OrderRow] = []
    for line in lines:
        product_id = refs.product_ids.get(line.article_number or "", refs.fallback_product_id)
        if product_id is None:
            raise MissingProduct(f"no Upsales product for article {line.article_number!r}")
        rows.append(
            OrderRow(
                quantity=line.quantity,
                price=line.price,
                listPrice=line.list_price,
                product=Ref(id=product_id),
            )
        )
    if not rows:  # Upsales needs a row: a document of text rows only gets one empty row
        if refs.fallback_product_id is None:
            raise MissingProduct("no rows and no fallback product")
        rows.append(
            OrderRow(
                quantity=Decimal(1),
                price=ZERO,
                listPrice=ZERO,
                product=Ref(id=refs.fallback_product_id),
            )
        )
    return rows


def order_description(document: FortnoxDocument) -> str:
    return described_as(document_type(document), document.DocumentNumber)


def order_content(
    document: FortnoxDocument, refs: OrderReferences, *, today: dt.date, new: bool = False
) -> OrderDraft:
    """What the Upsales order takes from the document: client, user, date, rows, currency.

    A document in a foreign currency gives its currency and rate; one in SEK gives SEK at rate 1
    to an existing order (``new`` False), so an order whose document moved back to SEK is not
    left in the other currency at its rate; a new order is in SEK without them."""
    draft = OrderDraft(
        date=document_date(document) or today,
        user=UserRef(id=refs.user_id),
        client=Ref(id=refs.company_id),
        orderRow=order_rows(document_lines(document), refs),
    )
    currency = foreign_currency(document.Currency)
    if currency is not None:
        draft.currency = currency
        draft.currencyRate = upsales_rate(document.CurrencyRate, document.CurrencyUnit)
    elif document.Currency is not None and not new:
        draft.currency = HOME_CURRENCY
        draft.currencyRate = HOME_RATE.rate
    return draft


def new_order(
    document: FortnoxDocument,
    refs: OrderReferences,
    *,
    stage_id: int,
    probability: int,
    today: dt.date,
) -> OrderDraft:
    """The Upsales order to create for a document."""
    draft = order_content(document, refs, today=today, new=True)
    draft.description = order_description(document)
    draft.stage = Ref(id=stage_id)
    draft.probability = probability
    custom: list[CustomValue] = []
    if refs.document_field_id is not None:
        reference = fortnox_document_reference(document_type(document), document_number(document))
        custom.append(CustomValue(fieldId=refs.document_field_id, value=reference))
    if refs.document_url is not None:
        custom.append(refs.document_url)
    if custom:
        draft.custom = custom
    return draft
