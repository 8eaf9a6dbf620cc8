"""What orders, invoices and offers have in common and where they differ: fields, rows, lists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from ufs_sandboxes.fortnox.facts import ORDER_TOTAL_QUANTITY_FIELD
from ufs_sandboxes.fortnox.fields import (
    BOOL,
    DATE,
    DECIMAL,
    INT,
    INTEGER_DECIMAL,
    ROWS,
    STRING_DECIMAL,
    TEXT,
    Field,
    Kind,
    Schema,
    choice,
    read_only,
    shape_of,
    text,
)
from ufs_sandboxes.fortnox.listing import ListSpec, number_key
from ufs_sandboxes.fortnox.resources.document_lists import (
    INVOICE_FILTERS,
    OFFER_FILTERS,
    OFFER_SORT,
    ORDER_FILTERS,
    search_fields,
    sort_keys,
)
from ufs_sandboxes.fortnox.wire import Shape, Wire, WireField

_ZERO = Decimal(0)


@dataclass(frozen=True)
class DocumentKind:
    collection: str
    """Path segment, WebSocket topic and name of the tenant's collection."""
    single: str
    plural: str
    rows_key: str
    quantity_fields: tuple[str, ...]
    """Row quantity fields; the first prices the row from the price list's quantity tiers."""
    total_quantity: str
    """Row quantity the row ``Total`` is computed from."""
    date_field: str
    event_prefix: str
    header: Schema
    row: Schema
    read_only_defaults: Mapping[str, Any]
    seedable_read_only: tuple[str, ...]
    """Read-only fields the admin seed may set (to seed documents in a given state)."""
    list_fields: tuple[str, ...]
    list_spec: ListSpec
    not_in_body: frozenset[str] = frozenset()
    """Header fields the operation's request schema lacks: refused in a POST or PUT body."""
    rows_not_in_body: frozenset[str] = frozenset()
    list_overrides: Mapping[str, WireField] = field(default_factory=dict)
    """List item fields typed differently from the full document (spec ``*ListItem``)."""

    @cached_property
    def row_shape(self) -> Shape:
        return shape_of(self.row)

    @cached_property
    def shape(self) -> Shape:
        return shape_of(self.header, self.row_shape)

    @cached_property
    def list_shape(self) -> Shape:
        full = self.shape
        return {name: self.list_overrides.get(name) or full[name] for name in self.list_fields}

    @cached_property
    def body_fields(self) -> frozenset[str]:
        """Header fields a client may send (read-only ones are then ignored)."""
        return frozenset(self.header) - self.not_in_body

    @cached_property
    def row_body_fields(self) -> frozenset[str]:
        return frozenset(self.row) - self.rows_not_in_body


_COMMON_HEADER: dict[str, Field] = {
    "DocumentNumber": Field(Kind.INT, wire=Wire.STRING),
    "CustomerNumber": TEXT,
    "CustomerName": text(1024),
    "Address1": text(1024),
    "Address2": text(1024),
    "City": text(1024),
    "ZipCode": text(10),
    "Country": TEXT,
    "OrganisationNumber": TEXT,
    "Phone1": text(1024),
    "Phone2": text(1024),
    "DeliveryName": text(1024),
    "DeliveryAddress1": text(1024),
    "DeliveryAddress2": text(1024),
    "DeliveryCity": text(1024),
    "DeliveryZipCode": text(10),
    "DeliveryCountry": TEXT,
    "DeliveryDate": DATE,
    "Currency": text(3),
    "CurrencyRate": DECIMAL,
    "OurReference": text(50),
    "YourReference": text(50),
    "Remarks": text(1024),
    "Comments": text(1024),
    "VATIncluded": BOOL,
    "Freight": DECIMAL,
    "AdministrationFee": DECIMAL,
    "PriceList": TEXT,
    "Project": TEXT,
    "CostCenter": TEXT,
    "TermsOfPayment": TEXT,
    "TermsOfDelivery": TEXT,
    "WayOfDelivery": TEXT,
    "Language": choice("SV", "EN"),
    "Cancelled": read_only(Kind.BOOL),
    "Sent": read_only(Kind.BOOL),
    "Net": read_only(Kind.DECIMAL),
    "Gross": read_only(Kind.DECIMAL),
    "TotalVAT": read_only(Kind.DECIMAL),
    "RoundOff": read_only(Kind.DECIMAL),
    "Total": read_only(Kind.DECIMAL),
    "TotalToPay": read_only(Kind.DECIMAL),
}
_ORDER_AND_INVOICE_HEADER: dict[str, Field] = {
    "YourOrderNumber": text(75),
    "ExternalInvoiceReference1": text(80),
    "ExternalInvoiceReference2": text(80),
}
_COMMON_ROW: dict[str, Field] = {
    "RowId": INT,
    "ArticleNumber": text(50),
    "Description": text(255),
    "Price": DECIMAL,
    "Discount": DECIMAL,
    "DiscountType": choice("AMOUNT", "PERCENT"),
    "Unit": TEXT,
    "AccountNumber": INT,
    "CostCenter": TEXT,
    "Project": TEXT,
    "HouseWork": BOOL,
    "Total": read_only(Kind.DECIMAL),
}
_REFERENCE = read_only(Kind.INT, wire=Wire.STRING)
"""A reference to another document: its number as text, ``"0"`` for none."""
_COMMON_READ_ONLY_DEFAULTS: dict[str, Any] = {
    "Cancelled": False,
    "Sent": False,
    "VATIncluded": False,
    "Freight": _ZERO,
    "AdministrationFee": _ZERO,
    "CurrencyRate": Decimal(1),
    "CurrencyUnit": Decimal(1),
    "Language": "SV",
}


ORDERS = DocumentKind(
    collection="orders",
    single="Order",
    plural="Orders",
    rows_key="OrderRows",
    quantity_fields=("OrderedQuantity", "DeliveredQuantity"),
    total_quantity=ORDER_TOTAL_QUANTITY_FIELD,
    date_field="OrderDate",
    event_prefix="order",
    header={
        **_COMMON_HEADER,
        **_ORDER_AND_INVOICE_HEADER,
        "OrderDate": DATE,
        "DeliveryState": choice("registration", "reservation", "delivery"),
        "CurrencyUnit": DECIMAL,
        "InvoiceReference": _REFERENCE,
        "OfferReference": _REFERENCE,
        "OrderType": read_only(),
        "OrderRows": ROWS,
    },
    row={
        **_COMMON_ROW,
        "VAT": DECIMAL,
        "OrderedQuantity": STRING_DECIMAL,
        "DeliveredQuantity": STRING_DECIMAL,
        "ReservedQuantity": read_only(Kind.DECIMAL, wire=Wire.STRING),
    },
    read_only_defaults={
        **_COMMON_READ_ONLY_DEFAULTS,
        "OrderType": "Order",
        "InvoiceReference": 0,
        "OfferReference": 0,
        "DeliveryState": "registration",
    },
    seedable_read_only=("Cancelled", "Sent", "OrderType"),
    list_fields=(
        "Cancelled",
        "Currency",
        "CustomerName",
        "CustomerNumber",
        "DeliveryDate",
        "DocumentNumber",
        "ExternalInvoiceReference1",
        "ExternalInvoiceReference2",
        "OrderDate",
        "OrderType",
        "Project",
        "Sent",
        "Total",
    ),
    list_spec=ListSpec(
        search_fields=search_fields("ExternalInvoiceReference1", "ExternalInvoiceReference2"),
        filters=ORDER_FILTERS,
        sort_keys=sort_keys("OrderDate"),
        date_field="OrderDate",
    ),
)


INVOICES = DocumentKind(
    collection="invoices",
    single="Invoice",
    plural="Invoices",
    rows_key="InvoiceRows",
    quantity_fields=("DeliveredQuantity",),
    total_quantity="DeliveredQuantity",
    date_field="InvoiceDate",
    event_prefix="invoice",
    header={
        **_COMMON_HEADER,
        **_ORDER_AND_INVOICE_HEADER,
        "InvoiceDate": DATE,
        "DueDate": DATE,
        "InvoiceType": choice(
            "INVOICE", "AGREEMENTINVOICE", "INTRESTINVOICE", "SUMMARYINVOICE", "CASHINVOICE"
        ),
        "CurrencyUnit": INTEGER_DECIMAL,
        "Booked": read_only(Kind.BOOL),
        "Credit": read_only(Kind.BOOL, wire=Wire.STRING),
        "CreditInvoiceReference": _REFERENCE,
        "OrderReference": _REFERENCE,
        "OfferReference": _REFERENCE,
        "Balance": read_only(Kind.DECIMAL),
        "OCR": read_only(),
        "VoucherNumber": read_only(Kind.INT),
        "VoucherSeries": read_only(),
        "VoucherYear": read_only(Kind.INT),
        "FinalPayDate": read_only(Kind.DATE),
        "NoxFinans": read_only(Kind.BOOL),
        "InvoiceRows": ROWS,
    },
    row={
        **_COMMON_ROW,
        "VAT": INTEGER_DECIMAL,
        "DeliveredQuantity": STRING_DECIMAL,
        "TotalExcludingVAT": read_only(Kind.DECIMAL),
    },
    read_only_defaults={
        **_COMMON_READ_ONLY_DEFAULTS,
        "InvoiceType": "INVOICE",
        "Booked": False,
        "Credit": False,
        "CreditInvoiceReference": 0,
        "OrderReference": 0,
        "OfferReference": 0,
        "NoxFinans": False,
    },
    seedable_read_only=("Cancelled", "Sent", "Booked"),
    not_in_body=frozenset(
        {
            "Balance",
            "Booked",
            "Cancelled",
            "Credit",
            "FinalPayDate",
            "Gross",
            "Net",
            "NoxFinans",
            "OfferReference",
            "OrderReference",
            "OrganisationNumber",
            "RoundOff",
            "Sent",
            "Total",
            "TotalToPay",
            "TotalVAT",
            "VoucherNumber",
            "VoucherSeries",
            "VoucherYear",
        }
    ),
    rows_not_in_body=frozenset({"Total", "TotalExcludingVAT"}),
    list_overrides={"CurrencyUnit": WireField(Wire.NUMBER)},
    list_fields=(
        "Balance",
        "Booked",
        "Cancelled",
        "CostCenter",
        "Currency",
        "CurrencyRate",
        "CurrencyUnit",
        "CustomerName",
        "CustomerNumber",
        "DocumentNumber",
        "DueDate",
        "ExternalInvoiceReference1",
        "ExternalInvoiceReference2",
        "InvoiceDate",
        "InvoiceType",
        "NoxFinans",
        "OCR",
        "VoucherNumber",
        "VoucherSeries",
        "VoucherYear",
        "WayOfDelivery",
        "TermsOfPayment",
        "Project",
        "Sent",
        "Total",
        "FinalPayDate",
    ),
    list_spec=ListSpec(
        search_fields=search_fields(
            "ExternalInvoiceReference1", "ExternalInvoiceReference2", "YourOrderNumber", "OCR"
        ),
        filters=INVOICE_FILTERS,
        sort_keys={
            **sort_keys("InvoiceDate"),
            "ocr": lambda e: number_key(e["OCR"]),
            "total": lambda e: e["Total"],
        },
        date_field="InvoiceDate",
    ),
)

OFFERS = DocumentKind(
    collection="offers",
    single="Offer",
    plural="Offers",
    rows_key="OfferRows",
    quantity_fields=("Quantity",),
    total_quantity="Quantity",
    date_field="OfferDate",
    event_prefix="offer",
    header={
        **_COMMON_HEADER,
        "OfferDate": DATE,
        "ExpireDate": DATE,
        "CurrencyUnit": INTEGER_DECIMAL,
        "OrderReference": _REFERENCE,
        "InvoiceReference": _REFERENCE,
        "OfferRows": ROWS,
    },
    row={**_COMMON_ROW, "VAT": INTEGER_DECIMAL, "Quantity": STRING_DECIMAL},
    read_only_defaults={
        **_COMMON_READ_ONLY_DEFAULTS,
        "Completed": False,
        "OrderReference": 0,
        "InvoiceReference": 0,
    },
    seedable_read_only=("Cancelled", "Sent", "Completed"),
    list_fields=(
        "Cancelled",
        "Currency",
        "CustomerName",
        "CustomerNumber",
        "DocumentNumber",
        "OfferDate",
        "Project",
        "Sent",
        "Total",
    ),
    list_spec=ListSpec(
        search_fields=search_fields(),
        filters=OFFER_FILTERS,
        sort_keys=OFFER_SORT,
        date_field="OfferDate",
    ),
)

DOCUMENT_KINDS = (ORDERS, INVOICES, OFFERS)
