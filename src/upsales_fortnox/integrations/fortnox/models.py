"""Fortnox wire models, with Fortnox's own PascalCase field names.

* Reading: unknown fields are kept (``extra="allow"``), so nothing a response carries is lost
  to code that looks for it; amounts and quantities are :class:`~decimal.Decimal` (parse bodies
  with :func:`upsales_fortnox.integrations.jsonwire.loads` so they never pass through float), also
  where the spec types them as strings (``"DeliveredQuantity": "10.00"``).
* Writing: :meth:`FortnoxModel.to_wire` sends only the model's ``WRITE_FIELDS``, each a field of
  the operation's request (payload) schema in Fortnox's OpenAPI spec (a test proves the sets
  are subsets), so a read-only or unknown field read from Fortnox never goes back in a PUT.
  ``None`` values are left out (Fortnox clears a field with the string ``API_BLANK``, see
  :data:`API_BLANK`). Numbers go out in the spec's wire types: ``STRING_FIELDS`` as decimal
  strings, ``INTEGER_FIELDS`` as JSON integers.
* Every field is optional: list endpoints return reduced subsets, and what is required on
  create is Fortnox's to enforce (order validation uses :mod:`.limits` before sending).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from upsales_fortnox.integrations.fortnox.wire_base import API_BLANK as API_BLANK
from upsales_fortnox.integrations.fortnox.wire_base import Amount as Amount
from upsales_fortnox.integrations.fortnox.wire_base import Entity as Entity
from upsales_fortnox.integrations.fortnox.wire_base import FortnoxDate as FortnoxDate
from upsales_fortnox.integrations.fortnox.wire_base import FortnoxModel as FortnoxModel
from upsales_fortnox.integrations.fortnox.wire_base import fields as _fields

OTHER_ADDRESS_FIELDS = (
    *("VisitingAddress", "VisitingZipCode", "VisitingCity", "VisitingCountryCode"),
    *("DeliveryAddress1", "DeliveryAddress2", "DeliveryZipCode", "DeliveryCity"),
    "DeliveryCountryCode",
)
"""A customer's visiting and delivery address fields the sync writes (not their country
names: the codes name the countries, as ``CountryCode`` does)."""


class Customer(Entity):
    """``POST /3/customers``, ``PUT /3/customers/{n}`` (request schema ``fortnox_Customer``;
    ``Country`` is read-only, set from ``CountryCode``)."""

    WIRE_NAME = "Customer"
    WIRE_COLLECTION = "Customers"
    WRITE_FIELDS = _fields(
        "CustomerNumber",
        "Name",
        "OrganisationNumber",
        "Address1",
        "Address2",
        "ZipCode",
        "City",
        "CountryCode",
        "Email",
        "Phone1",
        "WWW",
        "VATNumber",
        "VATType",
        "Currency",
        "Active",
        "Type",
        "YourReference",
        "OurReference",
        "PriceList",
        *OTHER_ADDRESS_FIELDS,
    )

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
    WWW: str | None = None
    VATNumber: str | None = None
    VATType: str | None = None
    Currency: str | None = None
    Active: bool | None = None
    Type: str | None = None
    YourReference: str | None = None
    OurReference: str | None = None
    PriceList: str | None = None
    VisitingAddress: str | None = None
    VisitingZipCode: str | None = None
    VisitingCity: str | None = None
    VisitingCountryCode: str | None = None
    DeliveryAddress1: str | None = None
    DeliveryAddress2: str | None = None
    DeliveryZipCode: str | None = None
    DeliveryCity: str | None = None
    DeliveryCountryCode: str | None = None


class Article(Entity):
    """Request schema ``fortnox_Article``; ``SalesPrice`` (set through ``/3/prices``) and the
    stock figures Fortnox computes are read-only."""

    WIRE_NAME = "Article"
    WIRE_COLLECTION = "Articles"
    WRITE_FIELDS = _fields(
        "ArticleNumber",
        "Description",
        "PurchasePrice",
        "Unit",
        "Active",
        "StockGoods",
        "QuantityInStock",
        "VAT",
        "Type",
    )

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
    WRITE_FIELDS = _fields("Code", "Description", "Comments")

    Code: str | None = None
    Description: str | None = None
    Comments: str | None = None
    PreSelected: bool | None = None


class Price(Entity):
    """A price (``fortnox_Price``), or an item of an article's price sublist
    (``fortnox_PriceListItem``: no ``Percent`` or ``Date``)."""

    WIRE_NAME = "Price"
    WIRE_COLLECTION = "Prices"
    WRITE_FIELDS = _fields("PriceList", "ArticleNumber", "FromQuantity", "Price", "Percent")

    PriceList: str | None = None
    ArticleNumber: str | None = None
    FromQuantity: Amount = None
    Price: Amount = None
    Percent: Amount = None
    Date: str | None = None


_ROW_WRITE_FIELDS = _fields(
    "RowId", "ArticleNumber", "Description", "Price", "Discount", "DiscountType", "VAT", "Unit"
)


class DocumentRow(FortnoxModel):
    """Fields shared by order, invoice and offer rows (``Total`` is read-only)."""

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
    """``fortnox_OrderPayloadV2_OrderRow``: quantities are strings, ``VAT`` a number."""

    WRITE_FIELDS = _ROW_WRITE_FIELDS | {"OrderedQuantity", "DeliveredQuantity"}
    STRING_FIELDS = _fields("OrderedQuantity", "DeliveredQuantity")

    OrderedQuantity: Amount = None
    DeliveredQuantity: Amount = None


class InvoiceRow(DocumentRow):
    """``fortnox_InvoicePayload_InvoiceRow``: the quantity is a string, ``VAT`` an integer."""

    WRITE_FIELDS = _ROW_WRITE_FIELDS | {"DeliveredQuantity"}
    STRING_FIELDS = _fields("DeliveredQuantity")
    INTEGER_FIELDS = _fields("VAT")

    DeliveredQuantity: Amount = None
    TotalExcludingVAT: Amount = None


class OfferRow(DocumentRow):
    """``fortnox_OfferPayloadV2_OfferRow``: the quantity is a string, ``VAT`` an integer."""

    WRITE_FIELDS = _ROW_WRITE_FIELDS | {"Quantity"}
    STRING_FIELDS = _fields("Quantity")
    INTEGER_FIELDS = _fields("VAT")

    Quantity: Amount = None


_DOCUMENT_WRITE_FIELDS = _fields(
    "CustomerNumber",
    "CustomerName",
    "Currency",
    "CurrencyRate",
    "CurrencyUnit",
    "OurReference",
    "YourReference",
    "Remarks",
    "VATIncluded",
    "DeliveryDate",
)
_INVOICE_REFERENCES = _fields(
    "YourOrderNumber", "ExternalInvoiceReference1", "ExternalInvoiceReference2"
)
CUSTOMER_HEADER_FIELDS = _fields(
    "CustomerName",
    "YourReference",
    "Address1",
    "Address2",
    "ZipCode",
    "City",
    "Country",
    "Phone1",
    "Phone2",
    "DeliveryName",
    "DeliveryAddress1",
    "DeliveryAddress2",
    "DeliveryZipCode",
    "DeliveryCity",
    "DeliveryCountry",
    "TermsOfPayment",
    "TermsOfDelivery",
    "WayOfDelivery",
)
"""Header fields an invoice or order takes from its customer, writable on both (an order's
``OrganisationNumber`` too, read-only on invoices); sent only when an update makes the document
out to another customer (``facts.DOCUMENT_HEADER_OF_A_NEW_CUSTOMER``)."""


class Document(Entity):
    """Header fields shared by orders, invoices and offers.

    ``DocumentNumber`` is an int here; the spec types it as a string, and the sync never
    writes it (Fortnox numbers new documents).
    """

    DocumentNumber: int | None = None
    CustomerNumber: str | None = None
    CustomerName: str | None = None
    Currency: str | None = None
    CurrencyRate: Amount = None
    """SEK per ``CurrencyUnit`` units of ``Currency``."""
    CurrencyUnit: Amount = None
    OurReference: str | None = None
    YourReference: str | None = None
    Remarks: str | None = None
    VATIncluded: bool | None = None
    Cancelled: bool | None = None
    DeliveryDate: FortnoxDate = None
    Net: Amount = None
    Gross: Amount = None
    Total: Amount = None
    TotalVAT: Amount = None
    RoundOff: Amount = None
    Address1: str | None = None
    Address2: str | None = None
    ZipCode: str | None = None
    City: str | None = None
    Country: str | None = None
    OrganisationNumber: str | None = None
    Phone1: str | None = None
    Phone2: str | None = None
    DeliveryName: str | None = None
    DeliveryAddress1: str | None = None
    DeliveryAddress2: str | None = None
    DeliveryZipCode: str | None = None
    DeliveryCity: str | None = None
    DeliveryCountry: str | None = None
    TermsOfPayment: str | None = None
    TermsOfDelivery: str | None = None
    WayOfDelivery: str | None = None


class Order(Document):
    """``fortnox_OrderPayloadV2`` write set (the request schema is ``fortnox_Order``)."""

    WIRE_NAME = "Order"
    WIRE_COLLECTION = "Orders"
    WRITE_FIELDS = (
        _DOCUMENT_WRITE_FIELDS
        | _INVOICE_REFERENCES
        | CUSTOMER_HEADER_FIELDS
        | {"OrganisationNumber", "OrderDate", "DeliveryState", "OrderRows"}
    )

    YourOrderNumber: str | None = None
    ExternalInvoiceReference1: str | None = None
    ExternalInvoiceReference2: str | None = None
    OrderDate: FortnoxDate = None
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
    """``fortnox_InvoicePayload`` write set. ``Credit`` is a string on the wire (``"true"``)."""

    WIRE_NAME = "Invoice"
    WIRE_COLLECTION = "Invoices"
    INTEGER_FIELDS = _fields("CurrencyUnit")
    WRITE_FIELDS = (
        _DOCUMENT_WRITE_FIELDS
        | _INVOICE_REFERENCES
        | CUSTOMER_HEADER_FIELDS
        | {"InvoiceDate", "DueDate", "InvoiceRows"}
    )

    YourOrderNumber: str | None = None
    ExternalInvoiceReference1: str | None = None
    ExternalInvoiceReference2: str | None = None
    InvoiceDate: FortnoxDate = None
    DueDate: FortnoxDate = None
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
    FinalPayDate: FortnoxDate = None
    InvoiceRows: list[InvoiceRow] | None = None


class Offer(Document):
    """``fortnox_OfferPayloadV2`` write set: no invoice reference fields (``YourOrderNumber``,
    ``ExternalInvoiceReference1/2``); an offer has ``YourReferenceNumber`` instead."""

    WIRE_NAME = "Offer"
    WIRE_COLLECTION = "Offers"
    INTEGER_FIELDS = _fields("CurrencyUnit")
    WRITE_FIELDS = _DOCUMENT_WRITE_FIELDS | {
        "YourReferenceNumber",
        "OfferDate",
        "ExpireDate",
        "OfferRows",
    }

    YourReferenceNumber: str | None = None
    OfferDate: FortnoxDate = None
    ExpireDate: FortnoxDate = None
    OrderReference: str | None = None
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
