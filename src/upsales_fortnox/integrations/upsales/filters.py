"""Typed list filters, encoded the Upsales way: ``attr=op:value``.

Equals is the default operator and is sent bare (``probability=100``); several values for one
attribute become a list (``id=eq:1,2,3``); custom fields carry their field id
(``custom=eq:12:value``, or ``client.custom=eq:4:1`` through a relation). A filter list may hold
the same attribute more than once (``probability=gte:1&probability=lte:99``).

A single value that form would misread (one with a comma, one that starts like a comparison
type, ``gt:``, or the word ``null``) goes as a ``q`` condition instead
(``q={"a": "name", "c": "eq", "v": "A, B"}``), where it is one JSON string
(:data:`.facts.BARE_FILTER_VALUE_KEEPS_COMMAS`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

FilterValue = str | int | Decimal | bool | dt.date


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"


_OPERATORS: frozenset[str] = frozenset(op.value for op in Op)


@dataclass(frozen=True)
class Filter:
    """One query parameter. ``field_id`` is set only for custom-field filters."""

    attr: str
    op: Op
    values: tuple[FilterValue, ...]
    field_id: int | None = None

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError(f"filter on {self.attr!r} needs at least one value")
        if len(self.values) > 1 and any("," in _format(value) for value in self.values):
            raise ValueError(f"list filter on {self.attr!r} has a value containing a comma")

    def to_param(self) -> tuple[str, str]:
        text = ",".join(_format(value) for value in self.values)
        if self.field_id is not None:
            return self.attr, f"{self.op}:{self.field_id}:{text}"
        if len(self.values) == 1 and _misread_bare(text):
            return "q", json.dumps({"a": self.attr, "c": str(self.op), "v": text})
        if self.op is Op.EQ and len(self.values) == 1:
            return self.attr, text
        return self.attr, f"{self.op}:{text}"


def _misread_bare(text: str) -> bool:
    """Whether ``attr=text`` (or ``attr=op:text``) could be read as another filter: several
    values split at a comma, a comparison type taken from the value's start, or the word
    ``null`` taken for no value."""
    prefix, colon, _ = text.partition(":")
    return (
        "," in text
        or bool(colon and prefix.strip().lower() in _OPERATORS)
        or text.strip().lower() == "null"
    )


def _format(value: FilterValue) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def eq(attr: str, *values: FilterValue) -> Filter:
    return Filter(attr, Op.EQ, values)


def ne(attr: str, *values: FilterValue) -> Filter:
    return Filter(attr, Op.NE, values)


def gt(attr: str, value: FilterValue) -> Filter:
    return Filter(attr, Op.GT, (value,))


def gte(attr: str, value: FilterValue) -> Filter:
    return Filter(attr, Op.GTE, (value,))


def lt(attr: str, value: FilterValue) -> Filter:
    return Filter(attr, Op.LT, (value,))


def lte(attr: str, value: FilterValue) -> Filter:
    return Filter(attr, Op.LTE, (value,))


def custom(field_id: int, value: FilterValue, op: Op = Op.EQ, *, attr: str = "custom") -> Filter:
    """Filter on a custom field; ``attr="client.custom"`` filters through a relation."""
    return Filter(attr, op, (value,), field_id=field_id)


def to_params(filters: Iterable[Filter]) -> list[tuple[str, str]]:
    return [item.to_param() for item in filters]
