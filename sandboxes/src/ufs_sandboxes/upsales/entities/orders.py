"""Orders and opportunities (``/orders``): one entity, told apart by ``probability``
(100 = won order, 0 = lost, 1-99 = opportunity).

Create needs every field in :data:`REQUIRED_ON_CREATE` (probability does not default from the
stage). A PUT that changes ``stage`` without ``probability`` keeps the old probability
(*unverified*). ``orderRow`` in a PUT replaces all rows. Embedded summaries (``client``,
``user``, ``stage``, ``product`` on rows) are copies taken when the order is written.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from ufs_sandboxes.upsales.entities.common import (
    existing,
    read_relation,
    replace_custom_values,
)
from ufs_sandboxes.upsales.entities.context import WriteContext, user_summary
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.entities.price_lists import default_price_list_id
from ufs_sandboxes.upsales.errors import bad_request
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.state import CustomerState
from ufs_sandboxes.upsales.values import (
    missing_fields_error,
    read_date,
    read_decimal,
    read_int,
    read_required_str,
    read_str,
    require_list,
    require_object,
)

REQUIRED_ON_CREATE: Final = (
    "description",
    "date",
    "user",
    "client",
    "stage",
    "probability",
    "orderRow",
)
REQUIRED_ROW_FIELDS: Final = ("quantity", "price", "listPrice")
_CENT: Final = Decimal("0.01")


def to_master_currency(amount: Decimal, currency_rate: Decimal) -> Decimal:
    """An order-currency amount in the customer's master currency.

    *Unverified*: Upsales' ``currencyRate`` is taken as units of the order currency per unit
    of the master currency (the master currency has rate 1), so the master amount is
    ``amount / rate``, rounded to two decimals when the division is not exact.
    """
    if currency_rate == 1:
        return amount
    return (amount / currency_rate).quantize(_CENT, rounding=ROUND_HALF_UP)


def compute_order_values(
    rows: list[JsonObject], probability: int, currency_rate: Decimal
) -> JsonObject:
    """The read-only totals of an order.

    ``value`` = sum of quantity * price: ``price`` is the net unit price, so a discount
    (``listPrice`` above ``price``) is already inside it (reference: qty 1, price 9000,
    listPrice 10000 → value 9000).
    ``weightedValue`` = value * probability / 100. All exact in ``Decimal``.
    """
    value = sum((row["quantity"] * row["price"] for row in rows), Decimal(0))
    purchase_cost = sum((row["quantity"] * row["purchaseCost"] for row in rows), Decimal(0))
    weighted_value = value * probability / Decimal(100)
    return {
        "value": value,
        "weightedValue": weighted_value,
        "valueInMasterCurrency": to_master_currency(value, currency_rate),
        "weightedValueInMasterCurrency": to_master_currency(weighted_value, currency_rate),
        "purchaseCost": purchase_cost,
        "contributionMargin": value - purchase_cost,
    }


DEFAULT_RECURRING_INTERVAL_MONTHS: Final = 12


def split_by_recurrence(customer: CustomerState, rows: list[JsonObject]) -> JsonObject:
    """``oneOffValue``, ``monthlyValue`` and ``annualValue`` of an order.

    The reference lists these read-only fields in real orders but not how they are computed
    (*unverified*): a row of a product that is not recurring adds ``quantity * price`` to
    ``oneOffValue``; a row of a recurring product bills that amount every
    ``recurringInterval`` months (12 when unset), so it adds the amount divided by the interval
    to ``monthlyValue``. ``annualValue`` is twelve months of that. Both are rounded to two
    decimals once, at the end.
    """
    one_off = Decimal(0)
    monthly = Decimal(0)
    for row in rows:
        amount = row["quantity"] * row["price"]
        product = customer.table("products").get(row["productId"])
        if product is None or not product["isRecurring"]:
            one_off += amount
            continue
        months = product["recurringInterval"] or DEFAULT_RECURRING_INTERVAL_MONTHS
        monthly += amount / Decimal(months)
    return {
        "oneOffValue": one_off,
        "monthlyValue": monthly.quantize(_CENT, rounding=ROUND_HALF_UP),
        "annualValue": (monthly * 12).quantize(_CENT, rounding=ROUND_HALF_UP),
    }


def next_close_date(
    old_probability: int | None, new_probability: int, old_close_date: str | None, today: str
) -> str | None:
    """``closeDate`` is the date the order became 100 % or 0 %; back to 1-99 % clears it."""
    if new_probability not in (0, 100):
        return None
    if old_probability == new_probability and old_close_date is not None:
        return old_close_date
    return today


def build_bundle_rows(customer: CustomerState, bundle: JsonObject) -> list[JsonObject]:
    """``bundleRows`` of an order row whose product is a bundle.

    Field names follow the reference (``productId, quantity, tierQuantity, sortId, price,
    listPrice, purchaseCost``). The numbers are *unverified*: each sub-row carries the bundle's
    quantity of that product per bundle, its own list price and purchase cost, and ``price`` =
    list price * the bundle's ``bundlePriceAdjustment``.
    """
    adjustment: Decimal = bundle["bundlePriceAdjustment"]
    rows: list[JsonObject] = []
    for sort_id, item in enumerate(bundle["bundle"], start=1):
        product = customer.table("products").get(item["productId"])
        list_price = product["listPrice"] if product else Decimal(0)
        rows.append(
            {
                "productId": item["productId"],
                "quantity": item["quantity"],
                "tierQuantity": item["tierQuantity"],
                "sortId": sort_id,
                "price": list_price * adjustment,
                "listPrice": list_price,
                "purchaseCost": product["purchaseCost"] if product else Decimal(0),
            }
        )
    return rows


def _read_row(
    ctx: WriteContext, raw: Any, index: int, current: dict[int, JsonObject], row_id: int
) -> JsonObject:
    field = f"orderRow[{index}]"
    item = require_object(raw, field)
    product_ref = item.get("product")
    if product_ref is None and item.get("productId") is not None:
        product_ref = {"id": item["productId"]}
    missing = [name for name in REQUIRED_ROW_FIELDS if item.get(name) is None]
    if product_ref is None:
        missing.append("product")
    if missing:
        raise missing_fields_error(field, missing)
    product = read_relation(ctx.customer, product_ref, "products", f"{field}.product")
    assert product is not None
    previous = current.get(row_id)
    custom = previous["custom"] if previous else []
    if "custom" in item:
        custom = replace_custom_values(ctx.customer, "orderrow", item["custom"], f"{field}.custom")
    purchase_cost = item.get("purchaseCost")
    sort_id = item.get("sortId")
    row: JsonObject = {
        "id": row_id,
        "quantity": read_decimal(item["quantity"], f"{field}.quantity"),
        "price": read_decimal(item["price"], f"{field}.price"),
        "listPrice": read_decimal(item["listPrice"], f"{field}.listPrice"),
        "discount": read_decimal(item.get("discount", 0), f"{field}.discount"),
        "purchaseCost": product["purchaseCost"]
        if purchase_cost is None
        else read_decimal(purchase_cost, f"{field}.purchaseCost"),
        "productId": product["id"],
        "sortId": index + 1 if sort_id is None else read_int(sort_id, f"{field}.sortId"),
        "custom": custom,
        "product": {"id": product["id"], "name": product["name"], "category": product["category"]},
    }
    if product["bundle"]:
        row["bundleRows"] = build_bundle_rows(ctx.customer, product)
    return row


def _read_rows(ctx: WriteContext, value: Any, current_rows: list[JsonObject]) -> list[JsonObject]:
    """The new rows of an order. Rows that send the ``id`` of one of the order's rows keep it;
    other rows get new ids, and rows left out are removed."""
    raw_rows = require_list(value, "orderRow")
    if not raw_rows:
        raise bad_request("orderRow must contain at least one row")
    current = {row["id"]: row for row in current_rows}
    unused = set(current)
    rows: list[JsonObject] = []
    for index, raw in enumerate(raw_rows):
        wanted = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(wanted, int) and wanted in unused:
            unused.discard(wanted)
            row_id = wanted
        else:
            row_id = ctx.customer.next_id("orderrows")
        rows.append(_read_row(ctx, raw, index, current, row_id))
    return rows


def _summary(entity: JsonObject) -> JsonObject:
    return {"id": entity["id"], "name": entity["name"]}


def _embedded(name: str, related: JsonObject) -> JsonObject:
    """How an order embeds its user (with role), client (with account managers) and stage."""
    if name == "user":
        return {**user_summary(related), "role": related["role"]}
    if name == "client":
        return {**_summary(related), "users": related["users"]}
    return _summary(related)


def _apply(ctx: WriteContext, order: JsonObject, body: JsonObject, *, creating: bool) -> JsonObject:
    customer = ctx.customer
    if creating:
        missing = [name for name in REQUIRED_ON_CREATE if body.get(name) in (None, "", [])]
        if missing:
            raise missing_fields_error("order", missing)
    if creating or "description" in body:
        order["description"] = read_required_str(body.get("description"), "description")
    if creating or "date" in body:
        order["date"] = read_date(body.get("date"), "date")
    for name, table in (("user", "users"), ("client", "accounts"), ("stage", "orderstages")):
        if creating or name in body:
            related = read_relation(customer, body.get(name), table, name)
            if related is None:
                raise missing_fields_error("order", [name])
            order[name] = _embedded(name, related)
    if "contact" in body:
        contact = read_relation(customer, body["contact"], "contacts", "contact")
        order["contact"] = (
            None
            if contact is None
            else {"id": contact["id"], "name": contact["name"], "email": contact["email"]}
        )
    if "clientConnection" in body:
        connection = read_relation(
            customer, body["clientConnection"], "accounts", "clientConnection"
        )
        order["clientConnection"] = None if connection is None else _summary(connection)
    old_probability = order["probability"]
    if creating or "probability" in body:
        order["probability"] = read_int(
            body.get("probability"), "probability", minimum=0, maximum=100
        )
    if "notes" in body:
        order["notes"] = read_str(body["notes"], "notes")
    if "lostReason" in body:
        order["lostReason"] = body["lostReason"]
    if "competitorId" in body:
        competitor = body["competitorId"]
        order["competitorId"] = None if competitor is None else read_int(competitor, "competitorId")
    if "priceListId" in body:
        price_list_id = read_int(body["priceListId"], "priceListId", minimum=1)
        existing(customer, "priceLists", price_list_id, "priceListId")
        order["priceListId"] = price_list_id
    if "currency" in body:
        currency = read_required_str(body["currency"], "currency")
        if currency not in customer.currencies:
            raise bad_request(f"currency: {currency} is not a currency of this account")
        order["currency"] = currency
        if "currencyRate" not in body:
            order["currencyRate"] = customer.currencies[currency]["rate"]
    if "currencyRate" in body:
        rate = read_decimal(body["currencyRate"], "currencyRate")
        if rate <= 0:
            raise bad_request("currencyRate must be above 0")
        order["currencyRate"] = rate
    if "custom" in body:
        order["custom"] = replace_custom_values(customer, "order", body["custom"])
    if creating or "orderRow" in body:
        order["orderRow"] = _read_rows(ctx, body.get("orderRow"), order["orderRow"])
    order.update(
        compute_order_values(order["orderRow"], order["probability"], order["currencyRate"])
    )
    order.update(split_by_recurrence(customer, order["orderRow"]))
    order["closeDate"] = next_close_date(
        old_probability, order["probability"], order["closeDate"], ctx.today
    )
    return order


def create_order(ctx: WriteContext, body: JsonObject) -> JsonObject:
    order: JsonObject = {
        "id": None,
        "description": None,
        "date": None,
        "closeDate": None,
        "notes": None,
        "user": None,
        "client": None,
        "contact": None,
        "clientConnection": None,
        "stage": None,
        "probability": None,
        "currency": ctx.customer.master_currency,
        "currencyRate": Decimal(1),
        "priceListId": default_price_list_id(ctx.customer),
        "locked": 0,
        "lostReason": None,
        "competitorId": None,
        "custom": [],
        "orderRow": [],
        "regDate": ctx.timestamp,
        "regBy": ctx.user_ref,
        "modDate": ctx.timestamp,
    }
    return _apply(ctx, order, body, creating=True)


def update_order(ctx: WriteContext, current: JsonObject, body: JsonObject) -> JsonObject:
    order = dict(current)
    order["modDate"] = ctx.timestamp
    return _apply(ctx, order, body, creating=False)


ORDERS = EntityKind(
    table="orders", label="Order", create=create_order, update=update_order, hook_entity="order"
)
