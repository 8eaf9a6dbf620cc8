"""Pydantic wire models of the Upsales REST API v2, with Upsales' own camelCase field names.

Shapes follow the Upsales API reference notes (``reference/upsales.md`` §3). Every model keeps
fields it does not know (``extra="allow"``), so nothing Upsales sends is lost on a
read-modify-write. Amounts are ``Decimal``; parse response bodies with
:func:`upsales_fortnox.integrations.jsonwire.loads` so they arrive exact.

Entities that we write come in two classes: ``XDraft`` holds the writable fields, all optional,
for create and partial update (only the fields set are sent, see :meth:`WireModel.to_wire`);
``X`` (a subclass) is the record as Upsales returns it, with its ``id`` and read-only fields.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, model_validator

from upsales_fortnox.integrations.upsales.facts import DATE_TIMESTAMP_TIMEZONE

Flag = Annotated[bool, PlainSerializer(int, return_type=int)]
"""A yes/no flag. Upsales mixes ``0/1`` and ``true/false`` (reference §6); both are read.
We send ``0/1``, the form of the reference's account and product examples."""


def swedish_day(value: Any) -> Any:
    """A day Upsales wrote as a timestamp (``2026-12-06T23:00:00.000Z``) → its Swedish date
    (:data:`~upsales_fortnox.integrations.upsales.facts.DATE_TIMESTAMP_TIMEZONE`); a
    ``YYYY-MM-DD`` day, or anything else, unchanged (validated as a date). A timestamp whose
    Swedish day is beyond the calendar fails validation, as other days that are no dates do."""
    if isinstance(value, str) and "T" in value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        try:
            return moment.astimezone(DATE_TIMESTAMP_TIMEZONE).date()
        except OverflowError:  # its Swedish day is not in the calendar (before 1 or after 9999)
            raise ValueError("a day beyond the calendar") from None
    return value


Day = Annotated[dt.date, BeforeValidator(swedish_day)]
"""A day (``date``, ``closeDate``): ``YYYY-MM-DD``, or a timestamp read as its Swedish day
(:func:`swedish_day`); sent as ``YYYY-MM-DD``."""

CustomFieldEntity = Literal[
    "account",
    "contact",
    "activity",
    "appointment",
    "order",
    "orderrow",
    "product",
    "project",
    "user",
    "agreement",
    "udo",
]

API_USER_EMAIL_SUFFIX = "@api.upsales.com"
"""Writes made with an API key are attributed to a user whose email ends with this
(reference §1: PM ``regBy`` examples; TPL ``upsalesMethods.js`` ``isApiUser``)."""


class WireModel(BaseModel):
    model_config = ConfigDict(extra="allow")

    read_only_fields: ClassVar[frozenset[str]] = frozenset()

    def to_wire(self) -> dict[str, Any]:
        """The request body: the fields that were set, without read-only ones."""
        return self.model_dump(exclude_unset=True, exclude=set(self.read_only_fields))


def bare_id_as_object(value: Any) -> Any:
    """``5`` or ``"5"`` → ``{"id": 5}``; anything else unchanged (validated as an object).

    Upsales may send a reference as a bare id or as an object: the official app template reads
    ``order.client`` as either (``!isNaN(order.client) ? order.client : order.client.id``),
    and price lists give ``regBy``/``modBy`` as bare user ids (reference §7)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {"id": value}
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return {"id": int(value)}
    return value


class Ref(WireModel):
    """A reference to another record (``client``, ``stage``, ``product``, ``contact``, ...),
    read from an object or a bare id (:func:`bare_id_as_object`); sent as an object."""

    id: int
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, value: Any) -> Any:
        return bare_id_as_object(value)


class UserRef(Ref):
    """A user as embedded in another record (``user``, ``regBy``, ``users[]``)."""

    email: str | None = None


class CustomValue(WireModel):
    """One custom field value; ``value`` is whatever the field's datatype holds."""

    fieldId: int
    value: Any = None


class Address(WireModel):
    """``type`` is e.g. ``Visit``, ``Mail``, ``Postal`` (see ``facts.INVOICE_ADDRESS_TYPES``)."""

    type: str | None = None
    address: str | None = None
    zipcode: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None


class Record(WireModel):
    """A stored record: its id and who wrote it when (all read-only)."""

    id: int
    regDate: dt.datetime | None = None
    modDate: dt.datetime | None = None
    regBy: UserRef | None = None
    modBy: UserRef | None = None


_AUDIT_FIELDS = frozenset({"id", "regDate", "modDate", "regBy", "modBy"})


# --- accounts (companies) ---------------------------------------------------------------------


class CompanyDraft(WireModel):
    name: str | None = None
    orgNo: str | None = None
    phone: str | None = None
    webpage: str | None = None
    notes: str | None = None
    active: Flag | None = None
    addresses: list[Address] | None = None
    custom: list[CustomValue] | None = None
    users: list[UserRef] | None = None
    currency: str | None = None


class Company(CompanyDraft, Record):
    """An Upsales account (``/accounts``)."""

    read_only_fields = _AUDIT_FIELDS | {"isExternal"}

    isExternal: Flag | None = None


# --- orders and opportunities -----------------------------------------------------------------


class BundleRow(WireModel):
    id: int | None = None
    productId: int | None = None
    quantity: Decimal | None = None
    tierQuantity: Decimal | None = None
    sortId: int | None = None
    price: Decimal | None = None
    listPrice: Decimal | None = None
    purchaseCost: Decimal | None = None


class OrderRow(WireModel):
    """``listPrice`` is the gross unit price, ``price`` the net one; row total is
    ``quantity * price`` (reference §3); ``discount``: see ``facts.ORDER_ROW_DISCOUNT_MEANING``."""

    id: int | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    listPrice: Decimal | None = None
    discount: Decimal | None = None
    purchaseCost: Decimal | None = None
    productId: int | None = None
    sortId: int | None = None
    custom: list[CustomValue] | None = None
    product: Ref | None = None
    bundleRows: list[BundleRow] | None = None


class OrderDraft(WireModel):
    description: str | None = None
    date: Day | None = None
    closeDate: Day | None = None
    probability: int | None = None
    user: UserRef | None = None
    client: Ref | None = None
    contact: Ref | None = None
    stage: Ref | None = None
    currency: str | None = None
    currencyRate: Decimal | None = None
    notes: str | None = None
    custom: list[CustomValue] | None = None
    orderRow: list[OrderRow] | None = None


class Order(OrderDraft, Record):
    """An order (probability 100), lost deal (0) or opportunity (1-99) (``/orders``)."""

    read_only_fields = _AUDIT_FIELDS | {
        "value",
        "weightedValue",
        "valueInMasterCurrency",
        "weightedValueInMasterCurrency",
        "oneOffValue",
        "monthlyValue",
        "annualValue",
        "purchaseCost",
        "contributionMargin",
    }

    value: Decimal | None = None
    weightedValue: Decimal | None = None
    valueInMasterCurrency: Decimal | None = None
    weightedValueInMasterCurrency: Decimal | None = None
    oneOffValue: Decimal | None = None
    monthlyValue: Decimal | None = None
    annualValue: Decimal | None = None
    purchaseCost: Decimal | None = None
    contributionMargin: Decimal | None = None


class OrderStage(WireModel):
    """A pipeline stage; ``probability`` is its default %. There is no won/lost flag."""

    id: int
    name: str | None = None
    probability: int | None = None
    exclude: Flag | None = None


class Currency(WireModel):
    """A currency of the account (``/currencies``)."""

    iso: str
    active: Flag | None = None


# --- products ---------------------------------------------------------------------------------


class ProductCurrency(WireModel):
    """A product's price in one currency; with price lists, in one price list's ``priceListId``
    (sent and answered only with ``usePriceLists=true``, PM Products "With price lists")."""

    currency: str
    price: Decimal | None = None
    purchaseCost: Decimal | None = None
    maxDiscount: Decimal | None = None
    priceListId: int | None = None


class ProductBundleItem(WireModel):
    productId: int
    quantity: Decimal | None = None
    tierQuantity: Decimal | None = None


class ProductDraft(WireModel):
    """``articleNo`` is unique. Products cannot be deleted: set ``active`` to false."""

    name: str | None = None
    listPrice: Decimal | None = None
    articleNo: str | None = None
    purchaseCost: Decimal | None = None
    active: Flag | None = None
    category: Ref | None = None
    isMultiCurrency: Flag | None = None
    isRecurring: Flag | None = None
    recurringInterval: int | None = None
    currencies: list[ProductCurrency] | None = None
    bundle: list[ProductBundleItem] | None = None
    bundlePriceAdjustment: Decimal | None = None
    """Multiplier applied to the bundle's price: 0.9 means 90 %."""
    custom: list[CustomValue] | None = None


class Product(ProductDraft, Record):
    read_only_fields = _AUDIT_FIELDS


# --- read-only catalogues ---------------------------------------------------------------------


class PriceList(Record):
    name: str | None = None
    code: str | None = None
    isDefault: Flag | None = None
    active: Flag | None = None
    showDiscount: Flag | None = None


class User(WireModel):
    id: int
    name: str | None = None
    email: str | None = None
    administrator: Flag | None = None
    role: Ref | None = None
    teamLeader: Flag | None = None
    active: Flag | None = None
    ghost: Flag | None = None
    userTitle: str | None = None
    userPhone: str | None = None
    custom: list[CustomValue] | None = None


class SelfUser(User):
    """``GET /self``: the API key's user and the Upsales customer (``client``) it belongs to."""

    client: Ref | None = None


class CustomField(WireModel):
    """A custom field definition of one entity; ids differ per customer, aliases do not."""

    id: int
    name: str | None = None
    alias: str | None = None
    datatype: str | None = None
    default: Any = None
    visible: Flag | None = None
    editable: Flag | None = None
    obligatoryField: Flag | None = None
    sortId: int | None = None
    maxLength: int | None = None


# --- who wrote a record -----------------------------------------------------------------------


class _HasAuthors(Protocol):
    @property
    def regBy(self) -> UserRef | None: ...

    @property
    def modBy(self) -> UserRef | None: ...


def is_api_user(user: UserRef | None) -> bool:
    """True when ``user`` is the user Upsales attributes API-key writes to."""
    email = (user.email or "") if user is not None else ""
    return email.strip().lower().endswith(API_USER_EMAIL_SUFFIX)


def last_written_by_api_key(record: _HasAuthors) -> bool:
    """True when the record's last writer (``modBy``, else ``regBy``) is an API-key user."""
    return is_api_user(record.modBy or record.regBy)
