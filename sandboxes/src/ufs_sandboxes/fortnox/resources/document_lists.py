"""The list side of orders, invoices and offers: field searches, filters and sort keys, each
named as Fortnox's OpenAPI spec declares it for the operation."""

from __future__ import annotations

import datetime as dt

from ufs_sandboxes.fortnox.fields import Entity
from ufs_sandboxes.fortnox.listing import Predicate, SortKey, number_key


def _is_set(value: object) -> bool:
    return bool(value)


def _before_today(value: object, today: dt.date) -> bool:
    return isinstance(value, str) and value < today.isoformat()


def search_fields(*extra: str) -> dict[str, str]:
    fields = {
        "customername": "CustomerName",
        "customernumber": "CustomerNumber",
        "documentnumber": "DocumentNumber",
        "ourreference": "OurReference",
        "yourreference": "YourReference",
        "costcenter": "CostCenter",
        "project": "Project",
    }
    for name in extra:
        fields[name.lower()] = name
    return fields


def sort_keys(date_field: str) -> dict[str, SortKey]:
    return {
        "customername": lambda e: (e["CustomerName"] or "").lower(),
        "customernumber": lambda e: number_key(e["CustomerNumber"]),
        "documentnumber": lambda e: e["DocumentNumber"],
        date_field.lower(): lambda e: e[date_field] or "",
        "total": lambda e: e["Total"],
    }


OFFER_SORT: dict[str, SortKey] = {
    "customerName": lambda e: (e["CustomerName"] or "").lower(),
    "id": lambda e: e["DocumentNumber"],
    "transactionDate": lambda e: e["OfferDate"] or "",
    "total": lambda e: e["Total"],
}
"""The spec's offer sort keys (camel case, unlike the other registers)."""


ORDER_FILTERS: dict[str, Predicate] = {
    "cancelled": lambda e, _t: e["Cancelled"] is True,
    "expired": lambda e, t: (
        not e["Cancelled"]
        and not _is_set(e["InvoiceReference"])
        and _before_today(e["DeliveryDate"], t)
    ),
    "invoicecreated": lambda e, _t: _is_set(e["InvoiceReference"]),
    "invoicenotcreated": lambda e, _t: not e["Cancelled"] and not _is_set(e["InvoiceReference"]),
}


def _unpaid(e: Entity) -> bool:
    return not e["Cancelled"] and e["Balance"] != 0


INVOICE_FILTERS: dict[str, Predicate] = {
    "cancelled": lambda e, _t: e["Cancelled"] is True,
    "fullypaid": lambda e, _t: not e["Cancelled"] and e["Balance"] == 0,
    "unpaid": lambda e, _t: _unpaid(e),
    "unpaidoverdue": lambda e, t: _unpaid(e) and _before_today(e["DueDate"], t),
    "unbooked": lambda e, _t: not e["Cancelled"] and not e["Booked"],
}

OFFER_FILTERS: dict[str, Predicate] = {
    "cancelled": lambda e, _t: e["Cancelled"] is True,
    "expired": lambda e, t: (
        not e["Cancelled"]
        and not _is_set(e["OrderReference"])
        and _before_today(e["ExpireDate"], t)
    ),
    "completed": lambda e, _t: e["Completed"] is True,
    "notcompleted": lambda e, _t: e["Completed"] is not True,
    "ordercreated": lambda e, _t: _is_set(e["OrderReference"]),
    "ordernotcreated": lambda e, _t: not e["Cancelled"] and not _is_set(e["OrderReference"]),
}
