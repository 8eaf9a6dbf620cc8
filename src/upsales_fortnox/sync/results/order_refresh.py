"""The result of a ``refresh_order_fields`` job: the linked orders whose payment status and
document link were brought up to date once ``paymentStatus`` or ``documentLinks`` was turned on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from upsales_fortnox.jobs.results import (
    JsonObject,
    JsonValue,
    ResultShapeError,
    compact,
    counts,
    optional_flag,
    section,
    texts,
    whole,
)

SKIP: Final = "skip"
FIELDS_OFF: Final = "paymentStatus and documentLinks are off"


@dataclass(frozen=True)
class OrderFieldsRefreshResult:
    """What the refresh did, counted by order; ``settings`` empty: the settings it was queued
    for were off again by the time it ran (nothing checked)."""

    settings: tuple[str, ...] = ()
    """The settings whose fields it wrote (``documentLinks``, ``paymentStatus``)."""
    checked: int = 0
    written: int = 0
    unchanged: int = 0
    """Orders that showed every value already (no write)."""
    orders_missing: int = 0
    """Linked orders Upsales no longer has."""
    failed: int = 0
    """Orders a read or write of which Fortnox or Upsales refused (the refresh went on)."""
    invoices_missing: int = 0
    """Linked invoices Fortnox no longer has (their orders' payment fields left as they are)."""
    statuses: Mapping[str, int] = field(default_factory=dict)
    """Payment status found → linked invoices."""
    payment_scope_missing: bool = False
    """The Fortnox login may not read payments: the invoices with payments were left out."""
    no_document_url_field: bool = False
    """The account has no order field ``FORTNOX_DOCUMENT_URL``: no link was written."""

    @property
    def outcome(self) -> str | None:
        return None if self.settings else SKIP

    def to_json(self) -> JsonObject:
        if not self.settings:
            return {"outcome": SKIP, "reason": FIELDS_OFF}
        settings: list[JsonValue] = list(self.settings)
        statuses: dict[str, JsonValue] = dict(self.statuses)
        return {
            "settings": settings,
            "orders_checked": self.checked,
            "written": self.written,
            "unchanged": self.unchanged,
            "orders_missing": self.orders_missing,
            "failed": self.failed,
            "invoices_missing": self.invoices_missing,
            "payment_status": statuses,
            **compact(
                payment_scope_missing=self.payment_scope_missing or None,
                no_document_url_field=self.no_document_url_field or None,
            ),
        }

    def named_ids(self) -> dict[str, int | str]:
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> OrderFieldsRefreshResult:
        settings = texts(data, "settings")
        if settings is None:
            if data.get("outcome") != SKIP:
                raise ResultShapeError("neither settings nor skipped")
            return cls()
        return cls(
            settings,
            checked=whole(data, "orders_checked"),
            written=whole(data, "written"),
            unchanged=whole(data, "unchanged"),
            orders_missing=whole(data, "orders_missing"),
            failed=whole(data, "failed"),
            invoices_missing=whole(data, "invoices_missing"),
            statuses=counts(section(data, "payment_status") or {}),
            payment_scope_missing=bool(optional_flag(data, "payment_scope_missing")),
            no_document_url_field=bool(optional_flag(data, "no_document_url_field")),
        )
