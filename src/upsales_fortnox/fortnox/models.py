"""Fortnox wire models, with Fortnox's own PascalCase field names.

* Unknown fields are kept (``extra="allow"``) and sent back, so a GET → edit → PUT never drops
  what these models do not name.
* Amounts and quantities are :class:`~decimal.Decimal`; parse bodies with
  :func:`upsales_fortnox.fortnox.jsonwire.loads` so they never pass through float.
* Fields the server computes are listed in ``READ_ONLY`` and left out by :meth:`to_wire`, as
  are ``None`` values (Fortnox clears a field with the string ``API_BLANK``, see
  :data:`API_BLANK`) and ``@``-prefixed links.
* Every field is optional: list endpoints return reduced subsets, and what is required on
  create is Fortnox's to enforce (order validation uses :mod:`.limits` before sending).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

#: The value that clears a field on PUT.
API_BLANK = "API_BLANK"


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


#: A ``YYYY-MM-DD`` date; Fortnox sends ``""`` or null when there is none.
FortnoxDate = Annotated[date | None, BeforeValidator(_blank_to_none)]
#: An exact amount or quantity.
Amount = Annotated[Decimal | None, BeforeValidator(_blank_to_none)]


class FortnoxModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow", coerce_numbers_to_str=True)

    #: Python names of fields the server sets; never sent.
    READ_ONLY: ClassVar[frozenset[str]] = frozenset()

    url: str | None = Field(default=None, alias="@url")

    def to_wire(self) -> dict[str, Any]:
        """The body to send: aliases, no read-only fields, no ``None``, unknown fields kept."""
        body: dict[str, Any] = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None or name == "url" or name in self.READ_ONLY:
                continue
            body[field.alias or name] = _wire_value(value)
        for key, value in (self.model_extra or {}).items():
            if value is not None and not key.startswith("@"):
                body[key] = _wire_value(value)
        return body


def _wire_value(value: Any) -> Any:
    if isinstance(value, FortnoxModel):
        return value.to_wire()
    if isinstance(value, list):
        return [_wire_value(item) for item in value]
    return value


class Entity(FortnoxModel):
    """A resource with a single-entity wrapper (``{"Customer": {...}}``) and a list key."""

    WIRE_NAME: ClassVar[str]
    WIRE_COLLECTION: ClassVar[str]


class Customer(Entity):
    WIRE_NAME = "Customer"
    WIRE_COLLECTION = "Customers"
    READ_ONLY = frozenset({"Country"})

    CustomerNumber: str | None = None
    Name: str | None = None
    OrganisationNumber: str | None = None
    Address1: str | None = None
    Address2: str | None = None
    ZipCode: str | None = None
    City: str | None = None
    CountryCode: str | None = None
    Country: str | None = None
    Email: str | None = None
    Phone1: str | None = None
    VATNumber: str | None = None
    VATType: str | None = None
    Currency: str | None = None
    Active: bool | None = None
    Type: str | None = None
    YourReference: str | None = None
    OurReference: str | None = None
    PriceList: str | None = None


class Article(Entity):
    WIRE_NAME = "Article"
    WIRE_COLLECTION = "Articles"
    READ_ONLY = frozenset({"SalesPrice", "ReservedQuantity", "DisposableQuantity", "StockValue"})

    ArticleNumber: str | None = None
    Description: str | None = None
    SalesPrice: Amount = None
    PurchasePrice: Amount = None
    Unit: str | None = None
    Active: bool | None = None
    StockGoods: bool | None = None
    QuantityInStock: Amount = None
    ReservedQuantity: Amount = None
    DisposableQuantity: Amount = None
    StockValue: Amount = None
    VAT: Amount = None
    Type: str | None = None


class PriceList(Entity):
    WIRE_NAME = "PriceList"
    WIRE_COLLECTION = "PriceLists"
    READ_ONLY = frozenset({"PreSelected"})

    Code: str | None = None
    Description: str | None = None
    Comments: str | None = None
    PreSelected: bool | None = None


class Price(Entity):
    WIRE_NAME = "Price"
    WIRE_COLLECTION = "Prices"
    READ_ONLY = frozenset({"Date"})

    PriceList: str | None = None
    ArticleNumber: str | None = None
    FromQuantity: Amount = None
    Price: Amount = None
    Percent: Amount = None
    Date: str | None = None


class DocumentRow(FortnoxModel):
    """Fields shared by order, invoice and offer rows."""

    READ_ONLY = frozenset({"Total"})

    RowId: int | None = None
    ArticleNumber: str | None = None
    Description: str | None = None
    Price: Amount = None
    Discount: Amount = None
    DiscountType: str | None = None
    VAT: Amount = None
    Unit: str | None = None
    Total: Amount = None


class OrderRow(DocumentRow):
    OrderedQuantity: Amount = None
    DeliveredQuantity: Amount = None


class InvoiceRow(DocumentRow):
    READ_ONLY = frozenset({"Total", "TotalExcludingVAT"})

    DeliveredQuantity: Amount = None
    TotalExcludingVAT: Amount = None


class OfferRow(DocumentRow):
    Quantity: Amount = None


_DOCUMENT_TOTALS = frozenset({"Net", "Gross", "Total", "TotalVAT", "RoundOff"})


class Document(Entity):
    """Header fields shared by orders, invoices and offers.

    ``DocumentNumber`` is an int here but a string in paths.
    """

    DocumentNumber: int | None = None
    CustomerNumber: str | None = None
    CustomerName: str | None = None
    Currency: str | None = None
    OurReference: str | None = None
    YourReference: str | None = None
    YourOrderNumber: str | None = None
    ExternalInvoiceReference1: str | None = None
    ExternalInvoiceReference2: str | None = None
    Remarks: str | None = None
    VATIncluded: bool | None = None
    Cancelled: bool | None = None
    Net: Amount = None
    Gross: Amount = None
    Total: Amount = None
    TotalVAT: Amount = None
    RoundOff: Amount = None


class Order(Document):
    WIRE_NAME = "Order"
    WIRE_COLLECTION = "Orders"
    READ_ONLY = _DOCUMENT_TOTALS | {
        "Cancelled",
        "InvoiceReference",
        "OfferReference",
        "OrderType",
        "TotalToPay",
    }

    OrderDate: FortnoxDate = None
    DeliveryDate: FortnoxDate = None
    DeliveryState: str | None = None
    InvoiceReference: str | None = None
    OfferReference: str | None = None
    OrderType: str | None = None
    TotalToPay: Amount = None
    OrderRows: list[OrderRow] | None = None

    @property
    def is_backorder(self) -> bool:
        """A restorder Fortnox split off when an order was partly invoiced."""
        return self.OrderType == "Backorder"


class Invoice(Document):
    WIRE_NAME = "Invoice"
    WIRE_COLLECTION = "Invoices"
    READ_ONLY = _DOCUMENT_TOTALS | {
        "Cancelled",
        "Booked",
        "Sent",
        "Credit",
        "CreditInvoiceReference",
        "OrderReference",
        "OfferReference",
        "Balance",
        "VoucherNumber",
        "VoucherSeries",
        "VoucherYear",
        "TotalToPay",
    }

    InvoiceDate: FortnoxDate = None
    DueDate: FortnoxDate = None
    DeliveryDate: FortnoxDate = None
    Booked: bool | None = None
    Sent: bool | None = None
    Credit: bool | None = None
    CreditInvoiceReference: str | None = None
    OrderReference: str | None = None
    OfferReference: str | None = None
    Balance: Amount = None
    VoucherNumber: str | None = None
    VoucherSeries: str | None = None
    VoucherYear: str | None = None
    TotalToPay: Amount = None
    InvoiceRows: list[InvoiceRow] | None = None


class Offer(Document):
    WIRE_NAME = "Offer"
    WIRE_COLLECTION = "Offers"
    READ_ONLY = _DOCUMENT_TOTALS | {"Cancelled", "OrderReference"}

    OfferDate: FortnoxDate = None
    ExpireDate: FortnoxDate = None
    DeliveryDate: FortnoxDate = None
    OrderReference: str | None = None
    Completed: bool | None = None
    OfferRows: list[OfferRow] | None = None


class CompanyInformation(FortnoxModel):
    """``GET /3/companyinformation``; read-only. ``DatabaseNumber`` is the tenant id."""

    WIRE_NAME: ClassVar[str] = "CompanyInformation"

    CompanyName: str | None = None
    OrganizationNumber: str | None = None
    Address: str | None = None
    ZipCode: str | None = None
    City: str | None = None
    CountryCode: str | None = None
    DatabaseNumber: str | None = None


class MetaInformation(BaseModel):
    """The paging block of a list response."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    TotalResources: int = Field(alias="@TotalResources")
    TotalPages: int = Field(alias="@TotalPages")
    CurrentPage: int = Field(alias="@CurrentPage")
