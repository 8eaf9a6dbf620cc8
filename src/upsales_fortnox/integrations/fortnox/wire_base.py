"""The base of the Fortnox wire models (:mod:`.models`): what is read is kept, what is
written is the model's write set in the spec's wire types (see :mod:`.models`)."""

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
#: An exact amount or quantity (a JSON number or a decimal string on the wire).
Amount = Annotated[Decimal | None, BeforeValidator(_blank_to_none)]


class FortnoxModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow", coerce_numbers_to_str=True)

    #: Wire names :meth:`to_wire` sends: a subset of the request schema's fields.
    WRITE_FIELDS: ClassVar[frozenset[str]] = frozenset()
    #: Numeric fields the spec types as strings on the wire.
    STRING_FIELDS: ClassVar[frozenset[str]] = frozenset()
    #: Numeric fields the spec types as integers on the wire.
    INTEGER_FIELDS: ClassVar[frozenset[str]] = frozenset()

    url: str | None = Field(default=None, alias="@url")

    def to_wire(self) -> dict[str, Any]:
        """The body to send: the set write fields only, by wire name, in their wire types."""
        body: dict[str, Any] = {}
        for name, field in type(self).model_fields.items():
            wire_name = field.alias or name
            value = getattr(self, name)
            if value is None or wire_name not in self.WRITE_FIELDS:
                continue
            body[wire_name] = self._wire_value(wire_name, value)
        return body

    def _wire_value(self, wire_name: str, value: Any) -> Any:
        if isinstance(value, FortnoxModel):
            return value.to_wire()
        if isinstance(value, list):
            return [self._wire_value(wire_name, item) for item in value]
        if wire_name in self.STRING_FIELDS and isinstance(value, Decimal | int):
            return format(value, "f") if isinstance(value, Decimal) else str(value)
        integral = isinstance(value, Decimal) and value == value.to_integral_value()
        if wire_name in self.INTEGER_FIELDS and integral:
            return int(value)
        return value


class Entity(FortnoxModel):
    """A resource with a single-entity wrapper (``{"Customer": {...}}``) and a list key."""

    WIRE_NAME: ClassVar[str]
    WIRE_COLLECTION: ClassVar[str]


def fields(*names: str) -> frozenset[str]:
    """A write set."""
    return frozenset(names)
