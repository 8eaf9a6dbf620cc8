"""How entities go on the wire: each field in the JSON type Fortnox's OpenAPI spec gives it.

The spec types some numbers as strings (``DocumentNumber``, document references, row
quantities, invoice ``Credit``, several article list fields) and some as integers (invoice and
offer row ``VAT``, ``CurrencyUnit``), and it has no nullable field. A value the sandbox does not
have is therefore shown as follows (decided per field type, after what Fortnox itself sends):

- text: ``""`` (Fortnox's empty text), except where the spec gives the field a minimum length
  or a set of allowed values (``Address1``, ``CountryCode``, ``VATType``, ...): omitted;
- dates, date-times, numbers and integers: omitted;
- booleans: the sandbox gives each a value (a row's ``HouseWork`` is false unless sent).

Quantities shown as text keep at least two decimals (``"10.00"``, as in Fortnox's examples).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

_TWO_DECIMALS = Decimal("0.01")


class Wire(Enum):
    """A field's JSON type in the spec (``string`` with format ``date``/``date-time`` apart)."""

    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "date-time"


@dataclass(frozen=True, slots=True)
class WireField:
    """One field of a shape: its type, and whether an empty text is left out."""

    type: Wire
    omit_empty: bool = False


@dataclass(frozen=True, slots=True)
class Rows:
    """An array of objects of one shape (document rows)."""

    shape: Shape


Shape = Mapping[str, WireField | Rows]
"""Field name → how it is shown, in the order shown."""


def render(values: Mapping[str, Any], shape: Shape) -> dict[str, Any]:
    """The fields of ``shape`` that ``values`` has, each as its wire type."""
    shown: dict[str, Any] = {}
    for name, spec in shape.items():
        value = values.get(name)
        if isinstance(spec, Rows):
            shown[name] = [render(row, spec.shape) for row in value or ()]
            continue
        converted = _convert(spec, value)
        if converted is not None:
            shown[name] = converted
    return shown


def _convert(spec: WireField, value: object) -> object:
    if value is None or value == "":
        return "" if spec.type is Wire.STRING and not spec.omit_empty else None
    if spec.type is Wire.STRING:
        return _text(value)
    if spec.type is Wire.NUMBER:
        return value if isinstance(value, Decimal | int) else Decimal(str(value))
    if spec.type is Wire.INTEGER:
        return int(value)  # type: ignore[call-overload]
    if spec.type is Wire.BOOLEAN:
        return bool(value)
    return str(value)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if value.as_tuple().exponent in (0, -1, -2) or value == value.to_integral_value():
            return format(value.quantize(_TWO_DECIMALS), "f")
        return format(value, "f")
    return str(value)
