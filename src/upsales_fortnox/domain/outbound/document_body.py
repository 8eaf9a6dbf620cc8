"""A won deal as a Fortnox invoice or order (pure).

The header carries the customer number, the order's currency and its rate (1 for SEK), "Vår
referens" (the Upsales user's name, cut to Fortnox's 50 characters), "Er referens" (the deal's
contact, :mod:`.your_reference`), the order reference
(:mod:`.reference`) and ``VATIncluded = false``: Upsales prices exclude VAT, so Fortnox's
``Net`` is the sum of the row totals. Every row sends an ``AMOUNT`` discount (0 for none), so
an update also clears a discount a row no longer has. Orders send the quantity as both
ordered and delivered, so the whole order is invoiced without a backorder.

The fingerprint of a document is taken over the fields the sync sends, in a form both a draft
and a document read back from Fortnox produce (:func:`fingerprint_of_fortnox_document`), so the
echo of our own write is recognised from either side.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Final

from upsales_fortnox.domain.currency import FortnoxRate, compared_rate, foreign_currency
from upsales_fortnox.domain.fingerprint import fingerprint
from upsales_fortnox.domain.outbound.money import DISCOUNT_AMOUNT, ZERO
from upsales_fortnox.domain.outbound.reference import ORDER_REFERENCE_FIELD, order_reference
from upsales_fortnox.domain.outbound.rows import WITHOUT_ARTICLE, PlannedRow
from upsales_fortnox.domain.outbound.your_reference import accepted, resolved, with_reference
from upsales_fortnox.integrations.fortnox.limits import (
    DOCUMENT_MAX_LENGTHS,
    DOCUMENT_ROW_MAX_LENGTHS,
    MAX_DOCUMENT_ROWS,
)
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow, Order, OrderRow
from upsales_fortnox.vocabulary import FortnoxType

OUR_REFERENCE_MAX: Final = DOCUMENT_MAX_LENGTHS["OurReference"]

FortnoxDocument = Invoice | Order


@dataclass(frozen=True)
class DocumentDraft:
    """What the sync wants the Fortnox document of one Upsales order to say."""

    fortnox_type: FortnoxType
    upsales_order_id: int
    customer_number: str
    currency: str | None
    our_reference: str | None
    rows: tuple[PlannedRow, ...]
    currency_rate: FortnoxRate | None = None
    """The rate sent: 1 for SEK, the deal's for a foreign currency (None: no currency, or
    Upsales has no rate); see :func:`~upsales_fortnox.domain.currency.document_rate`."""
    earlier_fingerprint: str | None = None
    """The fingerprint of the same order's rows as planned before December 2026, where they may
    differ (:func:`~upsales_fortnox.domain.outbound.rows.planned_otherwise_before`)."""
    other_mode_fingerprints: tuple[str, ...] = ()
    """The fingerprints of the same order's rows planned in the other ``productBundles``
    modes, for an order with a bundle (the mode may have changed since it was sent)."""
    your_reference: str | None = None
    """"Er referens", the deal's contact; ``contact_unnamed``: one without its name, so the
    link's (:mod:`.your_reference`)."""
    contact_unnamed: bool = False

    def for_link(self, synced_fields: Mapping[str, Any] | None) -> DocumentDraft:
        """This draft with its reference resolved against what the link keeps."""
        if not self.contact_unnamed:
            return self
        return replace(
            self, your_reference=resolved(None, True, synced_fields), contact_unnamed=False
        )

    def sent_as(self, fingerprint: str | None, synced: Mapping[str, Any] | None = None) -> bool:
        """Whether a document sent with ``fingerprint`` (its link keeping ``synced``) says what
        this draft wants: the same fingerprint, the earlier planning's, or another bundle mode's
        of the same order (unchanged since, it is no change to send, nor to refuse on a booked
        document), each with the reference wanted (or, sent before references were, none)."""
        draft = self.for_link(synced)
        bare = (draft.bare_fingerprint(), self.earlier_fingerprint, *self.other_mode_fingerprints)
        return fingerprint is not None and any(
            fingerprint == with_reference(one, reference)
            for one in bare
            if one is not None
            for reference in accepted(draft.your_reference, synced)
        )

    @property
    def reference(self) -> str:
        return order_reference(self.upsales_order_id)

    @property
    def net(self) -> Decimal:
        """The ``Net`` Fortnox will compute."""
        return sum((row.amount for row in self.rows), ZERO)

    def fingerprint(self) -> str:
        return with_reference(self.bare_fingerprint(), self.your_reference)

    def bare_fingerprint(self) -> str:
        """Without "Er referens" (as documents were taken before it)."""
        return _fingerprint(
            self.customer_number,
            self.currency,
            self.our_reference,
            self.reference,
            [
                (r.article_number, r.quantity, r.price, r.discount, DISCOUNT_AMOUNT)
                for r in self.rows
            ],
            rate=self.currency_rate.rate if self.currency_rate is not None else None,
            unit=self.currency_rate.unit if self.currency_rate is not None else None,
        )

    def to_fortnox(
        self, row_ids: Sequence[int | None] = (), *, held_row: int | None = None
    ) -> FortnoxDocument:
        """The wire model; ``row_ids[i]`` (when given and not None) updates that existing row.
        ``held_row``: the ``RowId`` of an existing row kept as it is, sent first (see
        :func:`held_row_id`)."""
        header: dict[str, Any] = {
            "CustomerNumber": self.customer_number,
            "Currency": self.currency,
            "OurReference": self.our_reference,
            ORDER_REFERENCE_FIELD: self.reference,
            "VATIncluded": False,
        }
        if self.currency_rate is not None:
            header["CurrencyRate"] = self.currency_rate.rate
            header["CurrencyUnit"] = Decimal(self.currency_rate.unit)
        ids = list(row_ids) + [None] * (len(self.rows) - len(row_ids))
        if self.fortnox_type is FortnoxType.INVOICE:
            invoice_rows = [InvoiceRow(RowId=held_row)] if held_row is not None else []
            invoice_rows += [
                InvoiceRow(DeliveredQuantity=row.quantity, RowId=row_id, **_row_fields(row))
                for row, row_id in zip(self.rows, ids, strict=False)
            ]
            return Invoice(**header, InvoiceRows=invoice_rows)
        order_rows = [OrderRow(RowId=held_row)] if held_row is not None else []
        order_rows += [
            OrderRow(
                OrderedQuantity=row.quantity,
                DeliveredQuantity=row.quantity,
                RowId=row_id,
                **_row_fields(row),
            )
            for row, row_id in zip(self.rows, ids, strict=False)
        ]
        return Order(**header, OrderRows=order_rows)


def _row_fields(row: PlannedRow) -> dict[str, Any]:
    what = (
        {"Description": (row.description or "")[: DOCUMENT_ROW_MAX_LENGTHS["Description"]]}
        if row.article_number == WITHOUT_ARTICLE
        else {"ArticleNumber": row.article_number}
    )
    return {**what, "Price": row.price, "Discount": row.discount, "DiscountType": DISCOUNT_AMOUNT}


def our_reference(user_name: str | None) -> str | None:
    """The Upsales user's name as "Vår referens", cut to what Fortnox accepts."""
    name = " ".join((user_name or "").split())
    return name[:OUR_REFERENCE_MAX] or None


def _article(article_number: str | None) -> str:
    """A row's article as compared: a row without one reads the same whether Fortnox answers
    its ``ArticleNumber`` as ``""`` or as null (``facts.ROW_WITHOUT_ARTICLE_READ_BACK``)."""
    return article_number or WITHOUT_ARTICLE


def _fingerprint(
    customer_number: str | None,
    currency: str | None,
    reference: str | None,
    external_reference: str | None,
    rows: Sequence[tuple[str | None, Decimal | None, Decimal | None, Decimal | None, str | None]],
    *,
    rate: Decimal | None = None,
    unit: Decimal | int | None = None,
) -> str:
    canonical_rows = []
    for article, quantity, price, discount, discount_type in rows:
        discount = discount or ZERO
        canonical_rows.append(
            [
                _article(article),
                quantity or ZERO,
                price or ZERO,
                discount,
                (discount_type or "PERCENT") if discount else None,
            ]
        )
    fields: dict[str, Any] = {
        "customer": customer_number,
        "currency": (currency or "").upper() or None,
        "our_reference": reference,
        "reference": external_reference,
        "rows": canonical_rows,
    }
    if rate is not None and foreign_currency(currency) is not None:
        # only foreign documents: SEK fingerprints unchanged; a unit of 1 adds nothing, so the
        # fingerprints of documents sent per one unit are as they were
        compared, units = compared_rate(rate, unit)
        fields["rate"] = compared if units == 1 else [compared, units]
    return fingerprint(fields)


def document_rows(document: FortnoxDocument) -> list[OrderRow] | list[InvoiceRow]:
    if isinstance(document, Invoice):
        return list(document.InvoiceRows or [])
    return list(document.OrderRows or [])


def _row_quantity(row: OrderRow | InvoiceRow) -> Decimal | None:
    if isinstance(row, OrderRow):
        return row.OrderedQuantity
    return row.DeliveredQuantity


def fingerprint_of_fortnox_document(document: FortnoxDocument) -> str:
    """The fingerprint of a document as read from Fortnox, comparable with
    :meth:`DocumentDraft.fingerprint`."""
    return _fingerprint(
        document.CustomerNumber,
        document.Currency,
        document.OurReference,
        getattr(document, ORDER_REFERENCE_FIELD),
        [
            (row.ArticleNumber, _row_quantity(row), row.Price, row.Discount, row.DiscountType)
            for row in document_rows(document)
        ],
        rate=document.CurrencyRate,
        unit=document.CurrencyUnit,
    )


def _set(reference: str | None) -> bool:
    return (reference or "").strip() not in ("", "0")


LOCKED_CANCELLED: Final = "it is cancelled"
LOCKED_BOOKED: Final = "it is booked"
LOCKED_CREDITED: Final = "it has been credited"
LOCKED_INVOICED: Final = "it has been invoiced"
"""An order's reason, followed by ``(invoice N)``: see :func:`invoiced_by`."""
LOCKS: Final = (LOCKED_CANCELLED, LOCKED_BOOKED, LOCKED_CREDITED)
"""The reasons of :func:`locked_reason` a sales rep is told apart (an order's invoice is
named by its link, or by :func:`invoiced_by`); a refusal's message ends with its reason."""
_INVOICED_BY: Final = re.compile(re.escape(LOCKED_INVOICED) + r" \(invoice ([^()\s]+)\)$")


def lock_of(message: str | None) -> str | None:
    """Which of :data:`LOCKS` a refusal's message (a dead job's error) ends with, or None."""
    text = (message or "").rstrip()
    return next((lock for lock in LOCKS if text.endswith(lock)), None)


def invoiced_by(message: str | None) -> str | None:
    """The invoice a refusal's message (a dead job's error) says its order was invoiced by,
    or None: the refusal reached the sales rep before that invoice reached Upsales."""
    found = _INVOICED_BY.search((message or "").rstrip())
    return found.group(1) if found else None


def locked_reason(document: FortnoxDocument) -> str | None:
    """Why Fortnox will refuse changes to the document, or None while it may still change.

    Invoices lock once cancelled, booked or credited (a credit invoice refers to them); orders
    once cancelled or invoiced.
    """
    if document.Cancelled:
        return LOCKED_CANCELLED
    if isinstance(document, Invoice):
        if document.Booked:
            return LOCKED_BOOKED
        if _set(document.CreditInvoiceReference):
            return LOCKED_CREDITED
        return None
    if _set(document.InvoiceReference):
        return f"{LOCKED_INVOICED} (invoice {(document.InvoiceReference or '').strip()})"
    return None


def matching_row_ids(
    existing: Sequence[OrderRow | InvoiceRow], rows: Sequence[PlannedRow]
) -> list[int | None]:
    """For each planned row, the ``RowId`` of an existing row with the same article to update
    (first unused one, in order), or None for a new row. Existing rows left unmatched are
    dropped by the update, which sends the whole row list."""
    return _matching_ids(
        [(row.RowId, row.ArticleNumber) for row in existing], [row.article_number for row in rows]
    )


def _matching_ids(
    existing: Sequence[tuple[int | None, str | None]], articles: Sequence[str | None]
) -> list[int | None]:
    unused: dict[str, list[int]] = {}
    for row_id, article_number in existing:
        if row_id is not None:
            unused.setdefault(_article(article_number), []).append(row_id)
    ids: list[int | None] = []
    for article_number in articles:
        candidates = unused.get(_article(article_number))
        ids.append(candidates.pop(0) if candidates else None)
    return ids


def held_row_id(existing_ids: Sequence[int | None], row_ids: Sequence[int | None]) -> int | None:
    """The existing row an update holds in its first write, or None when one write does.

    An update none of whose rows names a ``RowId`` would write the deal's rows over the
    document's rows in order, and a row so given another article may keep the old row's
    description, unit and VAT (``facts.ROWS_WRITTEN_IN_ORDER_KEEP_THEIR_FIELDS``). So when the
    document has rows and none of them is updated, the first write names the first of them by
    its ``RowId`` (kept as it is), which makes the deal's rows new rows, each from its article;
    the second write (:func:`without_held_row`) leaves the held row out.
    """
    if not row_ids or any(row_id is not None for row_id in row_ids):
        return None
    return next((row_id for row_id in existing_ids if row_id is not None), None)


def held_first_write(document: FortnoxDocument) -> FortnoxDocument:
    """The first write of an update that holds a row: the held row and the deal's rows, at most
    ``MAX_DOCUMENT_ROWS`` in all. A deal at the limit leaves its last row to the second write
    (:func:`without_held_row`, given the whole ``document``), where it is added as a new row."""
    rows = document_rows(document)
    if len(rows) <= MAX_DOCUMENT_ROWS:
        return document
    if isinstance(document, Invoice):
        return document.model_copy(update={"InvoiceRows": rows[:MAX_DOCUMENT_ROWS]})
    return document.model_copy(update={"OrderRows": rows[:MAX_DOCUMENT_ROWS]})


def without_held_row(sent: FortnoxDocument, answered: FortnoxDocument) -> FortnoxDocument:
    """The second write of an update that held a row: ``sent`` without its first (held) row,
    each other row naming the row Fortnox answered for it (same article, first unused in
    order); the held row, named by none, is dropped."""
    rows = document_rows(sent)[1:]
    existing = [(row.RowId, row.ArticleNumber) for row in document_rows(answered)]
    ids = _matching_ids(existing, [row.ArticleNumber for row in rows])
    renamed = [
        row.model_copy(update={"RowId": row_id}) for row, row_id in zip(rows, ids, strict=True)
    ]
    if isinstance(sent, Invoice):
        return sent.model_copy(update={"InvoiceRows": renamed})
    return sent.model_copy(update={"OrderRows": renamed})


def row_ids_from_kept(
    kept: Sequence[tuple[int, str | None]], rows: Sequence[PlannedRow]
) -> list[int | None]:
    """:func:`matching_row_ids` against the rows a link keeps."""
    return _matching_ids(kept, [row.article_number for row in rows])
