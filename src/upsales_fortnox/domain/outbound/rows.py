"""The rows of a won deal as Fortnox rows: bundles expanded, every row priced öre-exact.

Bundles follow the ``productBundles`` setting:

* ``onlyBundle``: one row for the bundle product, at the bundle's price.
* ``bundleAndSubProducts``: that row, then a row per product in the bundle at price 0, so the
  totals still match.
* ``onlySubProducts``: a row per product in the bundle; the bundle row's amount is split over
  them in proportion to each product's value in the bundle (quantity x its bundle price, else
  its list price, else evenly), to the öre. A product of negative value (a discount product)
  keeps its sign: it stays a deduction on the document.

A sub-row's quantity is the bundle row's quantity times the product's quantity per bundle; the
sub-rows follow the bundle's products in the order Upsales shows them (their ``sortId``), as the
order's rows follow theirs.
See :mod:`.money` for how the amounts are made to add up to Upsales' net value exactly (the
order's ``value`` as Upsales states it, when given).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, DecimalException
from typing import Final, TypeVar

from upsales_fortnox.core.texts import Phrase
from upsales_fortnox.domain.inbound.products import NO_ARTICLE_NAMES
from upsales_fortnox.domain.outbound.money import (
    ZERO,
    price_row,
    round_amounts,
    round_ore,
    split_by_value,
)
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.facts import LARGEST_AMOUNT
from upsales_fortnox.integrations.upsales.models import BundleRow, OrderRow
from upsales_fortnox.vocabulary import ProductBundleMode


class UnsendableOrder(PermanentError):
    """The order cannot be expressed as a Fortnox document (the message says why)."""

    code = "order_not_sendable"


class ProductNotInFortnox(UnsendableOrder):
    """A product of the order has no Fortnox article."""

    code = "product_not_in_fortnox"


WITHOUT_ARTICLE: Final = ""
"""The article number of a product whose rows are Fortnox rows without an article (the
catch-all product that Fortnox rows without one are imported onto): such a row goes to Fortnox
with the product's name as its text and no article."""


@dataclass(frozen=True)
class PlannedRow:
    """One Fortnox document row. ``amount`` is the row total Fortnox will compute."""

    article_number: str
    quantity: Decimal
    price: Decimal
    discount: Decimal
    amount: Decimal
    product_id: int
    description: str | None = None
    """The row's text, for a row without an article (:data:`WITHOUT_ARTICLE`)."""


@dataclass(frozen=True)
class _Line:
    product_id: int
    product_name: str | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


_Sorted = TypeVar("_Sorted", OrderRow, BundleRow)


def row_product_id(row: OrderRow) -> int | None:
    if row.product is not None:
        return row.product.id
    return row.productId


def with_catch_all_named(
    rows: Sequence[OrderRow], article_numbers: Mapping[int, str]
) -> dict[int, str]:
    """``article_numbers`` (of the linked products), plus :data:`WITHOUT_ARTICLE` for the
    catch-all product of Fortnox rows without an article, known by the name the rows give it
    (one of :data:`~upsales_fortnox.domain.inbound.products.NO_ARTICLE_NAMES`): it has no
    article to link, and an order row names its product but not its article number. For a
    check that reads only the order (``before_order_save``); the job reads the product's
    article number."""
    known = dict(article_numbers)
    for row in rows:
        product_id = row_product_id(row)
        named = row.product.name if row.product is not None else None
        if product_id is not None and product_id not in known and named in NO_ARTICLE_NAMES:
            known[product_id] = WITHOUT_ARTICLE
    return known


def _bundle_rows(row: OrderRow, *, earlier: bool = False) -> list[BundleRow]:
    """The products of a bundle row, in the order Upsales shows them (their ``sortId``);
    ``earlier``: as listed, as rows were planned before December 2026."""
    products = [item for item in row.bundleRows or [] if item.productId is not None]
    return products if earlier else _sorted_rows(products)


def _sorted_rows(rows: Sequence[_Sorted]) -> list[_Sorted]:
    """``rows`` by ``sortId`` (none counts as 0), rows of the same one in the order given."""
    indexed = list(enumerate(rows))
    indexed.sort(key=lambda pair: (pair[1].sortId if pair[1].sortId is not None else 0, pair[0]))
    return [row for _, row in indexed]


def required_product_ids(rows: Sequence[OrderRow], mode: ProductBundleMode) -> list[int]:
    """Products whose Fortnox article numbers the rows need, in row order, without repeats."""
    wanted: dict[int, None] = {}  # ordered, and a repeat found at once however many rows
    for row in _sorted_rows(rows):
        bundle = _bundle_rows(row)
        ids: list[int | None] = []
        if not bundle or mode is not ProductBundleMode.ONLY_SUB_PRODUCTS:
            ids.append(row_product_id(row))
        if bundle and mode is not ProductBundleMode.ONLY_BUNDLE:
            ids.extend(item.productId for item in bundle)
        for product_id in ids:
            if product_id is not None:
                wanted.setdefault(product_id)
    return list(wanted)


def products_of_every_mode(rows: Sequence[OrderRow]) -> list[int]:
    """The products whose article numbers the rows need in any ``productBundles`` mode: the
    links a won deal reads, so that a document sent in another mode is still recognised."""
    wanted: dict[int, None] = {}
    for mode in ProductBundleMode:
        wanted.update(dict.fromkeys(required_product_ids(rows, mode)))
    return list(wanted)


def upsales_net_value(rows: Sequence[OrderRow]) -> Decimal:
    """Upsales' net value of the rows: sum of quantity x net unit price, exact."""
    return sum(((row.quantity or ZERO) * (row.price or ZERO) for row in rows), ZERO)


def _weights(row: OrderRow, bundle: Sequence[BundleRow]) -> list[Decimal]:
    """Each product's value in the bundle, its sign kept: quantity x bundle price, else x list
    price, else the quantity alone."""
    quantities = [(row.quantity or ZERO) * (item.quantity or ZERO) for item in bundle]
    by_price = [q * (item.price or ZERO) for q, item in zip(quantities, bundle, strict=True)]
    if any(by_price):
        return by_price
    by_list_price = [
        q * (item.listPrice or ZERO) for q, item in zip(quantities, bundle, strict=True)
    ]
    if any(by_list_price):
        return by_list_price
    return quantities


def _sub_product_lines(row: OrderRow, bundle: Sequence[BundleRow], amount: Decimal) -> list[_Line]:
    quantities = [(row.quantity or ZERO) * (item.quantity or ZERO) for item in bundle]
    weights = _weights(row, bundle)
    carrying = [index for index, weight in enumerate(weights) if weight != 0]
    shares = [ZERO] * len(bundle)
    if amount != 0:
        if not carrying:
            name = row.product.name if row.product else None
            raise UnsendableOrder(
                Phrase("order.bundle_without_quantities", name=name)
                if name
                else Phrase(
                    "order.unnamed_bundle_without_quantities", product_id=row_product_id(row)
                )
            )
        for index, share in zip(
            carrying, split_by_value(amount, [weights[i] for i in carrying]), strict=True
        ):
            shares[index] = share
    lines = []
    for item, quantity, share in zip(bundle, quantities, shares, strict=True):
        unit_price = share / quantity if quantity != 0 else ZERO
        assert item.productId is not None
        lines.append(_Line(item.productId, None, quantity, unit_price, share))
    return lines


def _lines(
    rows: Sequence[OrderRow], mode: ProductBundleMode, value: Decimal | None, earlier: bool
) -> list[_Line]:
    ordered = _sorted_rows(rows)
    exact = [(row.quantity or ZERO) * (row.price or ZERO) for row in ordered]
    stated = stated_total(value)
    amounts = round_amounts(exact, total=None if earlier else stated)
    lines: list[_Line] = []
    for position, (row, amount) in enumerate(zip(ordered, amounts, strict=True), 1):
        product_id = row_product_id(row)
        name = row.product.name if row.product else None
        if product_id is None:
            raise UnsendableOrder(Phrase("order.row_without_product", row=position))
        quantity = row.quantity or ZERO
        bundle = _bundle_rows(row, earlier=earlier)
        own_line = _Line(product_id, name, quantity, row.price or ZERO, amount)
        if not bundle or mode is ProductBundleMode.ONLY_BUNDLE:
            lines.append(own_line)
        elif mode is ProductBundleMode.BUNDLE_AND_SUB_PRODUCTS:
            lines.append(own_line)
            for item in bundle:
                assert item.productId is not None
                sub_quantity = quantity * (item.quantity or ZERO)
                lines.append(_Line(item.productId, None, sub_quantity, ZERO, ZERO))
        else:
            lines.extend(_sub_product_lines(row, bundle, amount))
    return lines


def plan_rows(
    rows: Sequence[OrderRow],
    mode: ProductBundleMode,
    article_numbers: Mapping[int, str],
    product_names: Mapping[int, str] | None = None,
    *,
    value: Decimal | None = None,
    earlier: bool = False,
) -> list[PlannedRow]:
    """The Fortnox rows for an order's rows. ``article_numbers`` maps Upsales product ids to
    Fortnox article numbers (:data:`WITHOUT_ARTICLE`: rows without an article); a product
    missing from it raises :class:`ProductNotInFortnox`. ``value``: the order's value as Upsales
    states it, which the row amounts add up to, to the öre, when they can round to it (see
    :mod:`.money`). Quantities and prices past the largest a document carries, or whose amounts
    the öre arithmetic cannot hold (more digits than the decimal context keeps), raise
    :class:`UnsendableOrder`: no Fortnox document can carry them. ``earlier``: the rows as
    planned before December 2026 (see :func:`planned_otherwise_before`)."""
    if not all(_within_range(amount) for amount in _amounts(rows)):
        raise UnsendableOrder(Phrase("order.amounts_out_of_range"))
    try:
        return _planned_rows(rows, mode, article_numbers, product_names or {}, value, earlier)
    except DecimalException:
        raise UnsendableOrder(Phrase("order.amounts_out_of_range")) from None


def stated_total(value: Decimal | None) -> Decimal | None:
    """The order's value as Upsales states it, to öre; None when there is none to go by."""
    return round_ore(value) if value is not None and _within_range(value) else None


def planned_otherwise_before(
    rows: Sequence[OrderRow], mode: ProductBundleMode, value: Decimal | None
) -> bool:
    """Whether rows planned before December 2026 may differ from today's: the amounts then
    added up to the exact sum, not to the value Upsales states, and a bundle's products were
    taken as listed, not by ``sortId``. A document sent then of an order unchanged since is
    recognised by that earlier planning's fingerprint, not taken as changed."""
    stated = stated_total(value)
    try:
        if stated is not None and stated != round_ore(upsales_net_value(rows)):
            return True
    except DecimalException:
        return False
    if mode is ProductBundleMode.ONLY_BUNDLE:
        return False
    return any(_bundle_rows(row, earlier=True) != _bundle_rows(row) for row in rows)


def _amounts(rows: Sequence[OrderRow]) -> Iterator[Decimal | None]:
    """Every quantity and price of the rows and their bundles."""
    for row in rows:
        yield from (row.quantity, row.price, row.listPrice)
        for item in row.bundleRows or ():
            yield from (item.quantity, item.price, item.listPrice)


LARGEST_AMOUNT_DIGITS: Final = LARGEST_AMOUNT.adjusted()


def _within_range(value: Decimal | None) -> bool:
    """Below :data:`~upsales_fortnox.integrations.fortnox.facts.LARGEST_AMOUNT` in size (read
    from the exponent, so a number of a million digits costs nothing to judge)."""
    if value is None or value.is_zero():
        return True
    return value.is_finite() and value.adjusted() < LARGEST_AMOUNT_DIGITS


def _planned_rows(
    rows: Sequence[OrderRow],
    mode: ProductBundleMode,
    article_numbers: Mapping[int, str],
    product_names: Mapping[int, str],
    value: Decimal | None,
    earlier: bool,
) -> list[PlannedRow]:
    planned = []
    for line in _lines(rows, mode, value, earlier):
        article_number = article_numbers.get(line.product_id)
        name = line.product_name or product_names.get(line.product_id)
        if article_number is None:
            raise ProductNotInFortnox(
                Phrase("order.product_without_article_named", name=name, product_id=line.product_id)
                if name
                else Phrase("order.product_without_article", product_id=line.product_id)
            )
        pricing = price_row(line.quantity, line.unit_price, line.amount)
        planned.append(
            PlannedRow(
                article_number=article_number,
                quantity=line.quantity,
                price=pricing.price,
                discount=pricing.discount,
                amount=line.amount,
                product_id=line.product_id,
                description=name if article_number == WITHOUT_ARTICLE else None,
            )
        )
    return planned
