"""The results of the inbound jobs: a Fortnox customer, article, document or payment synced
into Upsales, and re-pricing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from upsales_fortnox.jobs.results import (
    JsonObject,
    JsonValue,
    ResultShapeError,
    compact,
    counts,
    optional_flag,
    optional_text,
    optional_whole,
    section,
    text,
    whole,
)
from upsales_fortnox.sync.results.records import DOCUMENT_TYPES, FortnoxRef, find_ref
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity, fortnox_id_key, upsales_id_key

SKIP: Final = "skip"
UNPRICED: Final = "no price in the chosen price list; list price 0"
NO_PRICE_LIST: Final = "no price list chosen"
EXTRAS_OFF: Final = "stock levels and currency prices are off"
_PAYMENT_KEY: Final = "fortnox_invoicepayment"
_ORDER_KEY: Final = upsales_id_key(LinkEntity.ORDER)
_COMPANY_KEY: Final = upsales_id_key(LinkEntity.COMPANY)
_PRODUCT_KEY: Final = upsales_id_key(LinkEntity.PRODUCT)
_CUSTOMER_KEY: Final = fortnox_id_key(FortnoxType.CUSTOMER)
_ARTICLE_KEY: Final = fortnox_id_key(FortnoxType.ARTICLE)


def _ids(**named: int | str | None) -> dict[str, int | str]:
    return {key: value for key, value in named.items() if value is not None}


@dataclass(frozen=True)
class CustomerSyncResult:
    """A ``fortnox.customer`` job: the company the customer is (or became) in Upsales."""

    customer_number: str
    outcome: str
    company_id: int | None

    def to_json(self) -> JsonObject:
        return {
            _CUSTOMER_KEY: self.customer_number,
            _COMPANY_KEY: self.company_id,
            "outcome": self.outcome,
        }

    def named_ids(self) -> dict[str, int | str]:
        return _ids(**{_CUSTOMER_KEY: self.customer_number, _COMPANY_KEY: self.company_id})

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> CustomerSyncResult:
        return cls(
            text(data, _CUSTOMER_KEY), text(data, "outcome"), optional_whole(data, _COMPANY_KEY)
        )


@dataclass(frozen=True)
class StockWritten:
    """Setting ``stockLevels``: where the stock came from, and whether it was written
    (``written``, ``unchanged``)."""

    source: str
    written: str

    def to_json(self) -> JsonObject:
        return {"source": self.source, "written": self.written}

    @classmethod
    def from_json(cls, data: Mapping[str, object] | None) -> StockWritten | None:
        return None if data is None else cls(text(data, "source"), text(data, "written"))


@dataclass(frozen=True)
class CurrencyPricesWritten:
    """Setting ``currencyPriceLists``: the price per currency code, and whether they were
    written (``written``, ``unchanged``)."""

    prices: Mapping[str, str]
    written: str

    def to_json(self) -> JsonObject:
        prices: JsonObject = dict(self.prices)
        return {"prices": prices, "written": self.written}

    @classmethod
    def from_json(cls, data: Mapping[str, object] | None) -> CurrencyPricesWritten | None:
        if data is None:
            return None
        prices = section(data, "prices") or {}
        return cls({code: text(prices, code) for code in prices}, text(data, "written"))


@dataclass(frozen=True)
class ArticleSyncResult:
    """A ``fortnox.article`` job: the product the article is (or became) in Upsales."""

    article_number: str
    outcome: str
    product_id: int | None
    priced: bool
    """False: the chosen price list has no price for the article (list price 0)."""
    stock: StockWritten | None = None
    currencies: CurrencyPricesWritten | None = None

    def to_json(self) -> JsonObject:
        result: JsonObject = {
            _ARTICLE_KEY: self.article_number,
            _PRODUCT_KEY: self.product_id,
            "outcome": self.outcome,
        }
        if self.stock is not None:
            result["stock"] = self.stock.to_json()
        if self.currencies is not None:
            result["currencies"] = self.currencies.to_json()
        if not self.priced:
            result["price"] = UNPRICED
        return result

    def named_ids(self) -> dict[str, int | str]:
        return _ids(**{_ARTICLE_KEY: self.article_number, _PRODUCT_KEY: self.product_id})

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ArticleSyncResult:
        return cls(
            article_number=text(data, _ARTICLE_KEY),
            outcome=text(data, "outcome"),
            product_id=optional_whole(data, _PRODUCT_KEY),
            priced="price" not in data,
            stock=StockWritten.from_json(section(data, "stock")),
            currencies=CurrencyPricesWritten.from_json(section(data, "currencies")),
        )


@dataclass(frozen=True)
class PaymentStatusWritten:
    """What an invoice's payments made of its order's payment fields (``paymentStatus``)."""

    status: str
    """The order's payment status, or ``skip``."""
    written: bool | None = None
    reason: str | None = None
    """Why it was skipped."""

    def to_json(self) -> JsonObject:
        return compact(
            payment_status=self.status, payment_reason=self.reason, payment_written=self.written
        )

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> PaymentStatusWritten | None:
        if "payment_status" not in data:
            return None
        return cls(
            text(data, "payment_status"),
            written=optional_flag(data, "payment_written"),
            reason=optional_text(data, "payment_reason"),
        )


@dataclass(frozen=True)
class DocumentSyncResult:
    """A ``fortnox.order``, ``fortnox.invoice`` or ``fortnox.offer`` job (and the invoice a
    payment or a credit invoice syncs): the Upsales order the document is, or why none.

    ``synced``: the document was looked up and planned (``upsales_order`` is recorded, ``null``
    when there is none); otherwise it was skipped before (``reason`` says why).
    """

    document: FortnoxRef
    outcome: str
    reason: str | None
    synced: bool = True
    upsales_order: int | None = None
    credits: str | None = None
    """A credit invoice of an invoice never linked: the number of the invoice it credits."""
    payment: PaymentStatusWritten | None = None
    credit_invoice: str | None = None
    """The credit invoice whose event synced this invoice again."""

    @classmethod
    def skipped(cls, document: FortnoxRef, reason: str) -> DocumentSyncResult:
        return cls(document, SKIP, reason, synced=False)

    def to_json(self) -> JsonObject:
        return {
            **self.document.to_json(),
            **({_ORDER_KEY: self.upsales_order} if self.synced else {}),
            "outcome": self.outcome,
            "reason": self.reason,
            **compact(credits=self.credits),
            **(self.payment.to_json() if self.payment is not None else {}),
            **compact(credit_invoice=self.credit_invoice),
        }

    def named_ids(self) -> dict[str, int | str]:
        return _ids(**{self.document.key: self.document.number, _ORDER_KEY: self.upsales_order})

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> DocumentSyncResult:
        document = find_ref(data, DOCUMENT_TYPES)
        if document is None:
            raise ResultShapeError("the result names no document")
        return cls(
            document,
            text(data, "outcome"),
            optional_text(data, "reason"),
            synced=_ORDER_KEY in data,
            upsales_order=optional_whole(data, _ORDER_KEY),
            credits=optional_text(data, "credits"),
            payment=PaymentStatusWritten.from_json(data),
            credit_invoice=optional_text(data, "credit_invoice"),
        )


@dataclass(frozen=True)
class PaymentSyncResult:
    """A ``fortnox.invoicepayment`` or ``fortnox.invoicepayment_deleted`` job: the sync of the
    invoice the payment pays (or paid), or why there was none."""

    payment_number: str
    invoice: DocumentSyncResult | None = None
    reason: str | None = None
    """Why no invoice was synced."""

    @property
    def outcome(self) -> str:
        return self.invoice.outcome if self.invoice is not None else SKIP

    def to_json(self) -> JsonObject:
        if self.invoice is not None:
            return {_PAYMENT_KEY: self.payment_number, **self.invoice.to_json()}
        return {_PAYMENT_KEY: self.payment_number, "outcome": SKIP, "reason": self.reason}

    def named_ids(self) -> dict[str, int | str]:
        invoice = self.invoice.named_ids() if self.invoice is not None else {}
        return {_PAYMENT_KEY: self.payment_number, **invoice}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> PaymentSyncResult:
        number = text(data, _PAYMENT_KEY)
        if find_ref(data, DOCUMENT_TYPES) is None:
            return cls(number, reason=text(data, "reason"))
        rest = {key: value for key, value in data.items() if key != _PAYMENT_KEY}
        return cls(number, DocumentSyncResult.from_json(rest))


@dataclass(frozen=True)
class RepriceResult:
    """A ``reprice_products`` job: the products it checked against the chosen price list (a
    batch of them: ``rest_queued`` when the next batch is queued as a job of its own)."""

    price_list: str | None
    """None: no price list is chosen (with ``default_list``: priced from Fortnox's default
    list, the articles' ``SalesPrice``; without it, a job that checked nothing)."""
    checked: int = 0
    repriced: int = 0
    without_price: int = 0
    default_list: bool = False
    rest_queued: bool = False

    @property
    def outcome(self) -> str | None:
        return SKIP if self.price_list is None and not self.default_list else None

    def to_json(self) -> JsonObject:
        if self.outcome == SKIP:
            return {"price_list": None, "outcome": SKIP, "reason": NO_PRICE_LIST}
        default = {"default_price_list": True} if self.default_list else {}
        return {
            "price_list": self.price_list,
            **default,
            "products_checked": self.checked,
            "products_repriced": self.repriced,
            "products_without_price": self.without_price,
            **({"rest_queued": True} if self.rest_queued else {}),
        }

    def named_ids(self) -> dict[str, int | str]:
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RepriceResult:
        price_list = optional_text(data, "price_list")
        default_list = data.get("default_price_list") is True
        if price_list is None and not default_list:
            return cls(None)
        return cls(
            price_list,
            checked=whole(data, "products_checked"),
            repriced=whole(data, "products_repriced"),
            without_price=whole(data, "products_without_price"),
            default_list=default_list,
            rest_queued=data.get("rest_queued") is True,
        )


@dataclass(frozen=True)
class ExtrasRefreshResult:
    """A ``refresh_product_extras`` job: the linked products whose stock and currency prices
    were brought up to date, and what became of the writes (kind → result → products)."""

    checked: int = 0
    missing: int = 0
    """Linked products Upsales no longer has."""
    writes: Mapping[str, Mapping[str, int]] | None = None
    """None: both settings were off by the time the job ran (nothing checked)."""

    @property
    def outcome(self) -> str | None:
        return SKIP if self.writes is None else None

    def to_json(self) -> JsonObject:
        if self.writes is None:
            return {"outcome": SKIP, "reason": EXTRAS_OFF}
        writes: dict[str, JsonValue] = {
            kind: dict(by_result) for kind, by_result in self.writes.items()
        }
        return {
            "products_checked": self.checked,
            "products_missing": self.missing,
            "writes": writes,
        }

    def named_ids(self) -> dict[str, int | str]:
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ExtrasRefreshResult:
        writes = section(data, "writes")
        if writes is None:
            if data.get("outcome") != SKIP:
                raise ResultShapeError("neither writes nor skipped")
            return cls()
        by_kind = {kind: counts(section(writes, kind) or {}) for kind in writes}
        return cls(whole(data, "products_checked"), whole(data, "products_missing"), by_kind)
