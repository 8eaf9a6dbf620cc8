"""A won Upsales order as the draft of its Fortnox document (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from upsales_fortnox.domain.currency import document_rate
from upsales_fortnox.domain.outbound.document_body import DocumentDraft, our_reference
from upsales_fortnox.domain.outbound.rows import (
    UnsendableOrder,
    plan_rows,
    planned_otherwise_before,
)
from upsales_fortnox.domain.outbound.your_reference import contact_reference
from upsales_fortnox.integrations.upsales.models import Order, OrderRow
from upsales_fortnox.vocabulary import FortnoxType, ProductBundleMode, SyncType


def fortnox_type_for(sync_type: SyncType) -> FortnoxType:
    """Where won deals go: invoices with ``invoice``; orders with ``order`` and ``order_offer``
    (offers come from Fortnox, never from won deals)."""
    return FortnoxType.INVOICE if sync_type is SyncType.INVOICE else FortnoxType.ORDER


def map_order(
    order: Order,
    *,
    fortnox_type: FortnoxType,
    customer_number: str,
    article_numbers: Mapping[int, str],
    bundle_mode: ProductBundleMode,
    product_names: Mapping[int, str] | None = None,
) -> DocumentDraft:
    order_rows = order.orderRow or []
    rows = plan_rows(order_rows, bundle_mode, article_numbers, product_names, value=order.value)
    draft = DocumentDraft(
        fortnox_type=fortnox_type,
        upsales_order_id=order.id,
        customer_number=customer_number,
        currency=(order.currency or "").strip().upper() or None,
        our_reference=our_reference(order.user.name if order.user else None),
        rows=tuple(rows),
        currency_rate=document_rate(order.currency, order.currencyRate),
    )
    earlier = _earlier_fingerprint(draft, order, bundle_mode, article_numbers, product_names)
    others = tuple(
        fingerprint
        for mode in ProductBundleMode
        if mode is not bundle_mode and _has_bundle(order_rows)
        for fingerprint in _mode_fingerprints(draft, order, mode, article_numbers, product_names)
    )
    reference, unnamed = contact_reference(order.contact)
    return replace(
        draft,
        earlier_fingerprint=earlier,
        other_mode_fingerprints=others,
        your_reference=reference,
        contact_unnamed=unnamed,
    )


def _has_bundle(rows: Sequence[OrderRow]) -> bool:
    return any(row.bundleRows for row in rows)


def _earlier_fingerprint(
    draft: DocumentDraft,
    order: Order,
    mode: ProductBundleMode,
    article_numbers: Mapping[int, str],
    product_names: Mapping[int, str] | None,
) -> str | None:
    """The fingerprint of the order's rows as planned before December 2026, where they may
    differ from today's (:func:`planned_otherwise_before`)."""
    order_rows = order.orderRow or []
    if not planned_otherwise_before(order_rows, mode, order.value):
        return None
    earlier = plan_rows(order_rows, mode, article_numbers, product_names, earlier=True)
    return replace(draft, rows=tuple(earlier)).fingerprint()


def _mode_fingerprints(
    draft: DocumentDraft,
    order: Order,
    mode: ProductBundleMode,
    article_numbers: Mapping[int, str],
    product_names: Mapping[int, str] | None,
) -> list[str]:
    """The fingerprints of the order's rows planned in another bundle ``mode`` (today's and
    the earlier planning's); none when that mode needs a product the deal has no article of."""
    try:
        rows = plan_rows(
            order.orderRow or [], mode, article_numbers, product_names, value=order.value
        )
        earlier = _earlier_fingerprint(draft, order, mode, article_numbers, product_names)
    except UnsendableOrder:
        return []
    planned = replace(draft, rows=tuple(rows)).fingerprint()
    return [planned] if earlier is None else [planned, earlier]
