"""The results of the outbound jobs: ``upsales.order`` (a won deal) and ``upsales.company``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, cast, get_args

from upsales_fortnox.jobs.results import (
    JsonObject,
    JsonValue,
    choice,
    compact,
    optional_flag,
    optional_text,
    text,
    texts,
    whole,
    wholes,
)
from upsales_fortnox.sync.results.records import DOCUMENT_TYPES, FortnoxRef, find_ref
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity, fortnox_id_key, upsales_id_key

WonDealOutcome = Literal[
    "skipped",
    "no_change",
    "created",
    "found_and_linked",
    "updated",
    "found_and_updated",
    "made_from_offer",
]
CompanyOutcome = Literal["skipped", "no_change", "updated"]
CustomerHow = Literal["linked", "matched", "created"]

_ORDER_KEY: Final = upsales_id_key(LinkEntity.ORDER)
_COMPANY_KEY: Final = upsales_id_key(LinkEntity.COMPANY)
_CUSTOMER_KEY: Final = fortnox_id_key(FortnoxType.CUSTOMER)


@dataclass(frozen=True)
class DealCustomer:
    """The Fortnox customer a won deal's document is made out to."""

    upsales_company: int
    customer_number: str
    how: CustomerHow
    written_back: bool | None = None
    """Whether the number was written to the Upsales company; None when not attempted."""
    note: str | None = None

    def to_json(self) -> JsonObject:
        return {
            _COMPANY_KEY: self.upsales_company,
            _CUSTOMER_KEY: self.customer_number,
            "customer": self.how,
            **compact(customer_number_written_back=self.written_back, note=self.note),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> DealCustomer | None:
        if "customer" not in data:
            return None
        return cls(
            upsales_company=whole(data, _COMPANY_KEY),
            customer_number=text(data, _CUSTOMER_KEY),
            how=cast(CustomerHow, choice(data, "customer", get_args(CustomerHow))),
            written_back=optional_flag(data, "customer_number_written_back"),
            note=optional_text(data, "note"),
        )


@dataclass(frozen=True)
class WonDealResult:
    """An ``upsales.order`` job: what became of the won deal ``upsales_order``."""

    upsales_order: int
    outcome: WonDealOutcome
    reason: str | None = None
    document: FortnoxRef | None = None
    """The order's Fortnox invoice or order, linked before or written in this run."""
    linked_before: bool = False
    """The order was linked to ``document`` as the run began (it is recorded next to the
    order; a document linked in this run is recorded after the outcome)."""
    customer: DealCustomer | None = None
    net: str | None = None
    """The document's net amount, as sent."""
    products_linked: tuple[int, ...] = ()
    """Products linked to Fortnox articles on the way."""
    document_url: str | None = None
    """What became of the order's document link field (``written``, ``unchanged``,
    ``order_missing``, ``no_field``)."""

    def to_json(self) -> JsonObject:
        document = self.document.to_json() if self.document is not None else {}
        return {
            _ORDER_KEY: self.upsales_order,
            **(document if self.linked_before else {}),
            **(self.customer.to_json() if self.customer is not None else {}),
            **compact(net=self.net, products_linked=list(self.products_linked) or None),
            "outcome": self.outcome,
            **compact(reason=self.reason),
            **({} if self.linked_before else document),
            **compact(document_url=self.document_url),
        }

    def named_ids(self) -> dict[str, int | str]:
        named: dict[str, int | str] = {_ORDER_KEY: self.upsales_order}
        if self.document is not None:
            named[self.document.key] = self.document.number
        if self.customer is not None:
            named[_COMPANY_KEY] = self.customer.upsales_company
            named[_CUSTOMER_KEY] = self.customer.customer_number
        return named

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> WonDealResult:
        document = find_ref(data, DOCUMENT_TYPES)
        keys = list(data)
        return cls(
            upsales_order=whole(data, _ORDER_KEY),
            outcome=cast(WonDealOutcome, choice(data, "outcome", get_args(WonDealOutcome))),
            reason=optional_text(data, "reason"),
            document=document,
            linked_before=document is not None and keys.index(document.key) < keys.index("outcome"),
            customer=DealCustomer.from_json(data),
            net=optional_text(data, "net"),
            products_linked=wholes(data, "products_linked") or (),
            document_url=optional_text(data, "document_url"),
        )


@dataclass(frozen=True)
class CompanySyncResult:
    """An ``upsales.company`` job: what became of company ``upsales_company``'s customer."""

    upsales_company: int
    outcome: CompanyOutcome
    fortnox_customer: str | None = None
    """The linked Fortnox customer's number (None: the company has none)."""
    reason: str | None = None
    api_key_write: bool | None = None
    """With no change: whether the company was last written by an API key (our own write)."""
    updated_fields: tuple[str, ...] | None = None
    """The customer's fields compared with the company's: those updated."""
    conflicts_kept_from_fortnox: tuple[str, ...] = ()
    changed_in_fortnox: tuple[str, ...] = ()

    def to_json(self) -> JsonObject:
        updated: JsonValue = None if self.updated_fields is None else list(self.updated_fields)
        return {
            _COMPANY_KEY: self.upsales_company,
            **({_CUSTOMER_KEY: self.fortnox_customer} if self.fortnox_customer is not None else {}),
            "outcome": self.outcome,
            **compact(
                reason=self.reason,
                api_key_write=self.api_key_write,
                updated_fields=updated,
                conflicts_kept_from_fortnox=list(self.conflicts_kept_from_fortnox) or None,
                changed_in_fortnox=list(self.changed_in_fortnox) or None,
            ),
        }

    def named_ids(self) -> dict[str, int | str]:
        named: dict[str, int | str] = {_COMPANY_KEY: self.upsales_company}
        if self.fortnox_customer is not None:
            named[_CUSTOMER_KEY] = self.fortnox_customer
        return named

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> CompanySyncResult:
        return cls(
            upsales_company=whole(data, _COMPANY_KEY),
            outcome=cast(CompanyOutcome, choice(data, "outcome", get_args(CompanyOutcome))),
            fortnox_customer=optional_text(data, _CUSTOMER_KEY),
            reason=optional_text(data, "reason"),
            api_key_write=optional_flag(data, "api_key_write"),
            updated_fields=texts(data, "updated_fields"),
            conflicts_kept_from_fortnox=texts(data, "conflicts_kept_from_fortnox") or (),
            changed_in_fortnox=texts(data, "changed_in_fortnox") or (),
        )
