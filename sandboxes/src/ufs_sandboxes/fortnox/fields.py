"""Field specifications and the parsing of client-sent entity bodies against them.

Policy for read-only fields: where the operation's request schema in Fortnox's OpenAPI spec has
them (e.g. an article's ``SalesPrice``, an order's ``Total``) a client may send them and they are
**ignored**, never applied; where it does not (an invoice's, see
``DocumentKind.not_in_body``) they are refused like unknown fields, with 2001399. Fields of the
spec the sandbox does not imitate are refused the same way. ``null`` means "not sent"; the
string ``API_BLANK`` clears a field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from ufs_sandboxes.fortnox import errors
from ufs_sandboxes.fortnox.facts import VALIDATION_ERROR_CODE
from ufs_sandboxes.fortnox.wire import Rows, Shape, Wire, WireField

Entity = dict[str, Any]
API_BLANK = "API_BLANK"
_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Kind(Enum):
    TEXT = "text"
    BOOL = "bool"
    DECIMAL = "decimal"
    INT = "int"
    DATE = "date"
    ROWS = "rows"
    """A list of row objects, left to the entity's own rules."""


@dataclass(frozen=True, slots=True)
class Field:
    kind: Kind = Kind.TEXT
    max_length: int | None = None
    read_only: bool = False
    choices: frozenset[str] | None = None
    allowed_chars: re.Pattern[str] | None = None
    wire: Wire | None = None
    """The spec's JSON type when it differs from the kind's (e.g. a quantity sent as text)."""
    omit_empty: bool = False
    """The spec gives the text a minimum length: an empty value is left out, not ``""``."""

    def wire_field(self) -> WireField:
        return WireField(
            self.wire or _KIND_WIRE[self.kind],
            omit_empty=self.omit_empty or self.choices is not None,
        )


_KIND_WIRE = {
    Kind.TEXT: Wire.STRING,
    Kind.BOOL: Wire.BOOLEAN,
    Kind.DECIMAL: Wire.NUMBER,
    Kind.INT: Wire.INTEGER,
    Kind.DATE: Wire.DATE,
}


Schema = Mapping[str, Field]

TEXT = Field()
BOOL = Field(Kind.BOOL)
DECIMAL = Field(Kind.DECIMAL)
INT = Field(Kind.INT)
DATE = Field(Kind.DATE)
ROWS = Field(Kind.ROWS)


NONEMPTY_TEXT = Field(omit_empty=True)
STRING_DECIMAL = Field(Kind.DECIMAL, wire=Wire.STRING)
"""A number the spec types as text (row quantities)."""
INTEGER_DECIMAL = Field(Kind.DECIMAL, wire=Wire.INTEGER)
"""A number the spec types as an integer (invoice and offer row ``VAT``, ``CurrencyUnit``)."""


def text(max_length: int, *, omit_empty: bool = False) -> Field:
    return Field(Kind.TEXT, max_length=max_length, omit_empty=omit_empty)


def choice(*values: str) -> Field:
    return Field(Kind.TEXT, choices=frozenset(values))


def read_only(kind: Kind = Kind.TEXT, wire: Wire | None = None) -> Field:
    return Field(kind, read_only=True, wire=wire)


def shape_of(schema: Schema, rows: Shape | None = None) -> Shape:
    """How the fields of ``schema`` are shown; ``rows`` is the shape of its rows field."""
    shape: dict[str, WireField | Rows] = {}
    for name, spec in schema.items():
        if spec.kind is Kind.ROWS:
            if rows is None:
                raise ValueError(f"no row shape for {name}")
            shape[name] = Rows(rows)
        else:
            shape[name] = spec.wire_field()
    return shape


def refuse_unknown(accepted: frozenset[str], payload: Mapping[str, Any]) -> None:
    """2001399 for a body field outside ``accepted`` (the operation's request schema)."""
    for name in payload:
        if name not in accepted and not name.startswith("@"):
            raise errors.bad_request(errors.INVALID_FIELD_NAME, f"Felaktigt fältnamn ({name})")


def validation_error(message: str) -> errors.FortnoxError:
    return errors.bad_request(VALIDATION_ERROR_CODE, message)


def require_object(value: object, what: str) -> Entity:
    if not isinstance(value, dict):
        raise errors.bad_request(errors.INVALID_BODY, f"Ingen eller felaktig typ av data ({what})")
    return value


def unwrap(body: object, wrapper: str) -> Entity:
    """``{"Customer": {...}}`` → the inner object, or 2001392."""
    outer = require_object(body, wrapper)
    return require_object(outer.get(wrapper), wrapper)


def parse_fields(schema: Schema, payload: Mapping[str, Any]) -> Entity:
    """The writable, non-null values of ``payload``, coerced to their kinds."""
    values: Entity = {}
    for name, raw in payload.items():
        spec = schema.get(name)
        if spec is None:
            if name.startswith("@"):
                continue
            raise errors.bad_request(errors.INVALID_FIELD_NAME, f"Felaktigt fältnamn ({name})")
        if spec.read_only or raw is None:
            continue
        values[name] = coerce(name, spec, raw)
    return values


def coerce(name: str, spec: Field, raw: object) -> Any:
    if spec.kind is Kind.ROWS:
        if not isinstance(raw, list):
            raise errors.bad_request(errors.INVALID_BODY, f"{name} måste vara en lista")
        return raw
    if raw == API_BLANK and spec.kind in (Kind.TEXT, Kind.DATE):
        return None
    if spec.kind is Kind.TEXT:
        return _coerce_text(name, spec, raw)
    if spec.kind is Kind.BOOL:
        return _coerce_bool(name, raw)
    if spec.kind is Kind.DECIMAL:
        return to_decimal(name, raw)
    if spec.kind is Kind.INT:
        return _coerce_int(name, raw)
    return _coerce_date(name, raw)


def _coerce_text(name: str, spec: Field, raw: object) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise errors.bad_request(
            errors.NOT_ALPHANUMERIC, f"Värdet måste vara alfanumeriskt ({name})"
        )
    value = str(raw)
    if spec.max_length is not None and len(value) > spec.max_length:
        raise validation_error(f"Fältet {name} får vara högst {spec.max_length} tecken")
    if spec.choices is not None and value not in spec.choices:
        raise validation_error(f"Ogiltigt värde för {name} ({value})")
    if spec.allowed_chars is not None and not spec.allowed_chars.fullmatch(value):
        raise errors.bad_request(
            errors.INVALID_CHARACTERS, f"Värdet innehåller ej tillåtna tecken. ({name})"
        )
    return value


def _coerce_bool(name: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in ("true", "false"):
        return raw == "true"
    raise errors.bad_request(errors.NOT_BOOLEAN, f"Värdet måste vara en boolean ({name})")


def to_decimal(name: str, raw: object) -> Decimal:
    """A JSON number, a numeric string or (from Python callers) a float, as ``Decimal``."""
    if isinstance(raw, bool):
        raise _not_numeric(name)
    if isinstance(raw, Decimal | int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip().replace(",", "."))
        except InvalidOperation:
            raise _not_numeric(name) from None
    else:
        raise _not_numeric(name)
    if not value.is_finite():
        raise _not_numeric(name)
    return value


def _coerce_int(name: str, raw: object) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw)
    if isinstance(raw, Decimal) and raw == raw.to_integral_value():
        return int(raw)
    raise _not_numeric(name)


def _coerce_date(name: str, raw: object) -> str:
    if isinstance(raw, str) and _DATE_PATTERN.match(raw):
        try:
            dt.date.fromisoformat(raw)
        except ValueError:
            pass
        else:
            return raw
    raise validation_error(f"Felaktigt datum i fältet {name} (ÅÅÅÅ-MM-DD)")


def _not_numeric(name: str) -> errors.FortnoxError:
    return errors.bad_request(errors.NOT_NUMERIC, f"Värdet måste vara numeriskt ({name})")


def apply_defaults(schema: Schema, values: Mapping[str, Any]) -> Entity:
    """A full entity: every schema field present (``None`` where nothing was sent)."""
    entity: Entity = dict.fromkeys(schema)
    entity.update(values)
    return entity
