"""A won Upsales order as the draft of its Fortnox document (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from upsales_fortnox.domain.currency import document_rate
from upsales_fortnox.domain.outbound.document_body import DocumentDraft, our_reference
from upsales_fortnox.domain.outbound.rows import plan_rows, planned_otherwise_before
from upsales_fortnox.integrations.upsales.models import Order
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
    if not planned_otherwise_before(order_rows, bundle_mode, order.value):
        return draft
    earlier = plan_rows(order_rows, bundle_mode, article_numbers, product_names, earlier=True)
    earlier_draft = replace(draft, rows=tuple(earlier))
    return replace(draft, earlier_fingerprint=earlier_draft.fingerprint())
