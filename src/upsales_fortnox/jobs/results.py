"""Job results: what a handler returns, stored on its job as a JSON object.

Each job kind has a result type of its own (frozen, with :meth:`~JobResult.to_json`); the
worker stores its JSON. Readers of stored results parse them back with the type's
``from_json``, using the field readers below, which raise :class:`ResultShapeError` on a value
of another shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeAlias

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = "dict[str, JsonValue]"


class JobResult(Protocol):
    """A handler's result; the job stores :meth:`to_json`."""

    def to_json(self) -> JsonObject: ...


class ResultShapeError(ValueError):
    """A stored result is not of the shape a result type reads."""


@dataclass(frozen=True)
class MergedInto:
    """The result of a queued job folded into job ``job_id`` of the same entity (which runs
    in its place); it names no record."""

    job_id: int

    outcome = None

    def to_json(self) -> JsonObject:
        return {"merged_into": self.job_id}

    def named_ids(self) -> dict[str, int | str]:
        return {}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> MergedInto:
        return cls(whole(data, "merged_into"))


def compact(**fields: JsonValue) -> JsonObject:
    """``fields`` without those that are ``None``: a result records only what its run did."""
    return {key: value for key, value in fields.items() if value is not None}


# Reading stored results: absent and null read alike, as ``None`` where optional.


def text(data: Mapping[str, object], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ResultShapeError(f"{key} is not text")
    return value


def optional_text(data: Mapping[str, object], key: str) -> str | None:
    return None if data.get(key) is None else text(data, key)


def choice(data: Mapping[str, object], key: str, choices: tuple[str, ...]) -> str:
    value = text(data, key)
    if value not in choices:
        raise ResultShapeError(f"{key} is none of {', '.join(choices)}")
    return value


def whole(data: Mapping[str, object], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ResultShapeError(f"{key} is not a whole number")
    return value


def optional_whole(data: Mapping[str, object], key: str) -> int | None:
    return None if data.get(key) is None else whole(data, key)


def optional_flag(data: Mapping[str, object], key: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise ResultShapeError(f"{key} is not true or false")
    return value


def moment(data: Mapping[str, object], key: str) -> datetime:
    try:
        return datetime.fromisoformat(text(data, key))
    except ValueError as exc:
        raise ResultShapeError(f"{key} is not a moment") from exc


def texts(data: Mapping[str, object], key: str) -> tuple[str, ...] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ResultShapeError(f"{key} is not a list of texts")
    return tuple(value)


def wholes(data: Mapping[str, object], key: str) -> tuple[int, ...] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(_is_whole(item) for item in value):
        raise ResultShapeError(f"{key} is not a list of whole numbers")
    return tuple(value)


def section(data: Mapping[str, object], key: str) -> Mapping[str, object] | None:
    """A nested object, or ``None`` when absent."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ResultShapeError(f"{key} is not an object")
    return value


def counts(data: Mapping[str, object]) -> dict[str, int]:
    """An object of whole numbers by name."""
    found: dict[str, int] = {}
    for key, value in data.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ResultShapeError(f"{key} is not a whole number")
        found[key] = value
    return found


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
