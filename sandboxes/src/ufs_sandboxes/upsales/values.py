"""Reading request fields the way Upsales does: trimmed strings, 0/1 flags, exact numbers."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ufs_sandboxes.upsales.errors import bad_request
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.timefmt import parse_date


def trim_strings(value: Any) -> Any:
    """A copy of ``value`` with every string stripped of leading and trailing spaces."""
    kind = type(value)
    if kind is str:
        return value.strip()
    if kind is dict:
        return {key: trim_strings(item) for key, item in value.items()}
    if kind is list:
        return [trim_strings(item) for item in value]
    if kind in (int, bool, Decimal) or value is None:
        return value
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Mapping):
        return {key: trim_strings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [trim_strings(item) for item in value]
    return value


def require_object(value: Any, where: str) -> JsonObject:
    if not isinstance(value, Mapping):
        raise bad_request(f"{where} must be a JSON object")
    return dict(value)


def require_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise bad_request(f"{where} must be a JSON array")
    return list(value)


def missing_fields_error(entity: str, fields: list[str]) -> Exception:
    return bad_request(f"Missing mandatory field(s) on {entity}: {', '.join(fields)}")


def read_str(
    value: Any, field: str, *, required: bool = False, max_length: int | None = None
) -> str | None:
    """A trimmed string; numbers are accepted and written as text. Empty when required → 400."""
    if value is None:
        if required:
            raise bad_request(f"Missing mandatory field: {field}")
        return None
    if isinstance(value, bool):
        raise bad_request(f"{field} must be a string")
    if isinstance(value, int | Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise bad_request(f"{field} must be a string")
    text = value.strip()
    if required and not text:
        raise bad_request(f"Missing mandatory field: {field}")
    if max_length is not None and len(text) > max_length:
        raise bad_request(f"{field} is longer than {max_length} characters")
    return text


def read_required_str(value: Any, field: str, *, max_length: int | None = None) -> str:
    text = read_str(value, field, required=True, max_length=max_length)
    assert text is not None
    return text


_FLAG_TEXT = {"0": 0, "1": 1, "false": 0, "true": 1}


def read_flag(value: Any, field: str) -> int:
    """Upsales mixes ``0/1`` and ``true/false`` for flags; both are accepted, ``0/1`` is stored."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value in (0, 1):
        return value
    if isinstance(value, str) and value.lower() in _FLAG_TEXT:
        return _FLAG_TEXT[value.lower()]
    raise bad_request(f"{field} must be 0, 1, true or false")


def read_bool(value: Any, field: str) -> bool:
    return bool(read_flag(value, field))


def read_decimal(value: Any, field: str) -> Decimal:
    """An exact number. JSON fractions arrive as ``Decimal``; Python floats go via ``repr``."""
    if isinstance(value, bool) or value is None:
        raise bad_request(f"{field} must be a number")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation as exc:
            raise bad_request(f"{field} must be a number") from exc
    else:
        raise bad_request(f"{field} must be a number")
    if not number.is_finite():
        raise bad_request(f"{field} must be a finite number")
    return number


def read_int(
    value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    number = read_decimal(value, field)
    if number != number.to_integral_value():
        raise bad_request(f"{field} must be a whole number")
    result = int(number)
    if minimum is not None and result < minimum:
        raise bad_request(f"{field} must be at least {minimum}")
    if maximum is not None and result > maximum:
        raise bad_request(f"{field} must be at most {maximum}")
    return result


def read_ref_id(value: Any, field: str) -> int | None:
    """The id of a relation written as ``{"id": n}``; ``null`` clears it."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or value.get("id") is None:
        raise bad_request(f'{field} must be an object like {{"id": 1}}')
    return read_int(value["id"], f"{field}.id", minimum=1)


def read_date(value: Any, field: str) -> str:
    """A date as ``YYYY-MM-DD`` (a full timestamp is cut to its date)."""
    if not isinstance(value, str):
        raise bad_request(f"{field} must be a date (YYYY-MM-DD)")
    parsed = parse_date(value.strip())
    if parsed is None:
        raise bad_request(f"{field} must be a date (YYYY-MM-DD)")
    return parsed.isoformat()
