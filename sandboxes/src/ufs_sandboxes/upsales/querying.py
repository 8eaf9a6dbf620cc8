"""List queries: filters (``attr=op:value``, ``q=``), sorting and paging, as Upsales reads them.

Choices where Upsales' behaviour is not documented (*unverified*):
- string comparisons ignore case (as a case-insensitive database collation would);
- an attribute an entity does not have is a 400, not an ignored parameter;
- on list-valued relations (``users.id``) a condition holds when any element matches,
  and ``ne`` holds when no element equals the value;
- ``null`` as a value matches a missing/``null`` field (``eq``) or a present one (``ne``);
- ``q`` also accepts the UI's ``src`` operator (case-insensitive substring);
- ``custom=eq:`` compares a custom value whole, unless the customer's
  ``custom_filters_match_substrings`` asks for the other answer (the value contains it);
- a value without a comparison type is one value, commas and all (several values are
  documented only after a type), unless the customer's ``bare_filter_values_split_on_commas``
  asks for the other answer.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any, Final

from ufs_sandboxes.upsales.config import DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT
from ufs_sandboxes.upsales.errors import bad_request
from ufs_sandboxes.upsales.jsonio import JsonObject

RESERVED_PARAMS: Final = frozenset(
    {"token", "limit", "offset", "sort", "q", "f", "f[]", "usePriceLists", "notify"}
)
"""Query parameters that are not filters."""
OPERATORS: Final = frozenset({"eq", "ne", "gt", "gte", "lt", "lte"})
Q_OPERATORS: Final = OPERATORS | {"src"}

Predicate = Callable[[JsonObject], bool]


class _Operand:
    """One query value, converted lazily to the type of the field it is compared with."""

    __slots__ = ("_folded", "_number", "raw")

    def __init__(self, raw: str | None) -> None:
        self.raw = raw
        self._folded: str | None = None
        self._number: Decimal | None = None

    def folded(self) -> str:
        if self._folded is None:
            self._folded = str(self.raw).casefold()
        return self._folded

    def number(self) -> Decimal:
        if self._number is None:
            text = str(self.raw).strip().lower()
            if text in ("true", "false"):
                self._number = Decimal(text == "true")
            else:
                try:
                    self._number = Decimal(text)
                except InvalidOperation as exc:
                    raise bad_request(f"Filter value {self.raw!r} is not a number") from exc
                if not self._number.is_finite():
                    raise bad_request(f"Filter value {self.raw!r} is not a number")
        return self._number


def _ordered(left: Any, op: str, right: Any) -> bool:
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if op == "gt":
        return bool(left > right)
    if op == "gte":
        return bool(left >= right)
    if op == "lt":
        return bool(left < right)
    if op == "lte":
        return bool(left <= right)
    if op == "src":
        return bool(right in left)
    raise bad_request(f"Unknown operator {op}")


def _matches(value: Any, op: str, operand: _Operand) -> bool:
    """Does one field value satisfy ``value <op> operand``?"""
    if operand.raw is None or value is None:
        if op == "eq":
            return value is None and operand.raw is None
        if op == "ne":
            return (value is None) != (operand.raw is None)
        return False
    if isinstance(value, bool | int | Decimal):
        return _ordered(Decimal(value) if isinstance(value, bool) else value, op, operand.number())
    if isinstance(value, str):
        return _ordered(value.casefold(), op, operand.folded())
    return False


def _field_values(entity: JsonObject, path: tuple[str, ...]) -> list[Any]:
    """Every value at ``path``; lists along the way are walked element by element."""
    current: list[Any] = [entity]
    for key in path:
        following: list[Any] = []
        for item in current:
            if isinstance(item, dict):
                value = item.get(key)
                if isinstance(value, list):
                    following.extend(value)
                else:
                    following.append(value)
        current = following
    return current


@dataclass(frozen=True)
class Condition:
    """``path <op> values`` (several values only with ``eq``/``ne``: any of / none of)."""

    path: tuple[str, ...]
    op: str
    values: tuple[str | None, ...]
    custom_field_id: int | None = None

    def predicate(self) -> Predicate:
        operands = [_Operand(value) for value in self.values]
        positive_op = "eq" if self.op == "ne" else self.op
        negate = self.op == "ne"
        path = self.path
        field_id = self.custom_field_id

        def values_of(entity: JsonObject) -> list[Any]:
            if field_id is not None:
                return [c["value"] for c in entity.get("custom") or () if c["fieldId"] == field_id]
            if len(path) == 1:
                value = entity.get(path[0])
                return value if isinstance(value, list) else [value]
            return _field_values(entity, path)

        def test(entity: JsonObject) -> bool:
            values = values_of(entity)
            if not values and field_id is not None:
                values = [None]
            hit = any(_matches(v, positive_op, o) for v in values for o in operands)
            return not hit if negate else hit

        return test


@dataclass(frozen=True)
class AnyOf:
    """``q={"or": ...}``: at least one group of conditions holds in full."""

    groups: tuple[tuple[Condition, ...], ...]

    def predicate(self) -> Predicate:
        groups = [[c.predicate() for c in group] for group in self.groups]
        return lambda entity: any(all(p(entity) for p in group) for group in groups)


Filter = Condition | AnyOf


@dataclass(frozen=True)
class SortKey:
    path: tuple[str, ...]
    descending: bool


@dataclass(frozen=True)
class ListQuery:
    filters: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()
    limit: int = DEFAULT_PAGE_LIMIT
    offset: int = 0


def _split_op(text: str) -> tuple[str, str]:
    op, sep, rest = text.partition(":")
    if sep and op in OPERATORS:
        return op, rest
    return "eq", text


def _null_or(text: str) -> str | None:
    return None if text == "null" else text


def _parse_filter_param(
    name: str, text: str, *, custom_substrings: bool, split_bare: bool
) -> Condition:
    path = tuple(name.split("."))
    if any(not part for part in path):
        raise bad_request(f"Invalid filter attribute {name!r}")
    explicit = ":" in text and text.partition(":")[0] in OPERATORS
    op, rest = _split_op(text)
    if path[-1] == "custom":
        if len(path) > 1:
            raise bad_request(f"Filtering on {name} is not supported by the sandbox")
        field_text, sep, value = rest.partition(":")
        if not sep:
            raise bad_request("custom filters are written custom=op:fieldId:value")
        try:
            field_id = int(field_text)
        except ValueError as exc:
            raise bad_request("custom filters are written custom=op:fieldId:value") from exc
        values = value.split(",") if op in ("eq", "ne") else [value]
        if custom_substrings and op == "eq":
            op = "src"
        return Condition(path, op, tuple(_null_or(v) for v in values), custom_field_id=field_id)
    values = rest.split(",") if (explicit or split_bare) and op in ("eq", "ne") else [rest]
    return Condition(path, op, tuple(_null_or(v) for v in values))


def _q_condition(raw: Any) -> Condition:
    if not isinstance(raw, dict) or "a" not in raw or "c" not in raw:
        raise bad_request('q conditions are written {"a": attribute, "c": operator, "v": value}')
    attribute, op, value = raw["a"], raw["c"], raw.get("v")
    if not isinstance(attribute, str) or op not in Q_OPERATORS:
        raise bad_request(f"Invalid q condition {raw!r}")
    values = value if isinstance(value, list) else [value]
    texts = tuple(
        None if v is None else (str(v).lower() if isinstance(v, bool) else str(v)) for v in values
    )
    return Condition(tuple(attribute.split(".")), op, texts)


def _parse_q(text: str) -> Filter:
    try:
        raw = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise bad_request("q must be JSON") from exc
    if isinstance(raw, dict) and "or" in raw:
        groups_raw = raw["or"].get("q") if isinstance(raw["or"], dict) else None
        if not isinstance(groups_raw, list):
            raise bad_request('q or-groups are written {"or": {"q": [[condition, ...], ...]}}')
        groups = tuple(
            tuple(_q_condition(c) for c in (group if isinstance(group, list) else [group]))
            for group in groups_raw
        )
        return AnyOf(groups)
    return _q_condition(raw)


def _parse_non_negative(text: str, name: str) -> int:
    try:
        number = int(text)
    except ValueError as exc:
        raise bad_request(f"{name} must be a whole number") from exc
    if number < 0:
        raise bad_request(f"{name} must not be negative")
    return number


def parse_list_query(
    params: Iterable[tuple[str, str]],
    *,
    custom_substrings: bool = False,
    split_bare: bool = False,
) -> ListQuery:
    """Read filters, sorting and paging from the query string (parameters may repeat);
    ``custom_substrings``: see ``CustomerState.custom_filters_match_substrings``;
    ``split_bare``: see ``CustomerState.bare_filter_values_split_on_commas``."""
    filters: list[Filter] = []
    sort: list[SortKey] = []
    limit, offset = DEFAULT_PAGE_LIMIT, 0
    for name, value in params:
        if name == "limit":
            limit = _parse_non_negative(value, "limit")
            if limit > MAX_PAGE_LIMIT:
                raise bad_request(f"limit must be at most {MAX_PAGE_LIMIT}")
        elif name == "offset":
            offset = _parse_non_negative(value, "offset")
        elif name == "sort":
            for field in filter(None, (part.strip() for part in value.split(","))):
                descending = field.startswith("-")
                sort.append(SortKey(tuple(field.lstrip("-+").split(".")), descending))
        elif name == "q":
            filters.append(_parse_q(value))
        elif name not in RESERVED_PARAMS:
            filters.append(
                _parse_filter_param(
                    name, value, custom_substrings=custom_substrings, split_bare=split_bare
                )
            )
    return ListQuery(tuple(filters), tuple(sort), limit, offset)


def _attributes(filter_: Filter) -> Iterable[str]:
    if isinstance(filter_, Condition):
        yield filter_.path[0]
    else:
        for group in filter_.groups:
            for condition in group:
                yield condition.path[0]


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | Decimal):
        return (1, value)
    if isinstance(value, str):
        return (2, value.casefold())
    return (3, json.dumps(value, default=str, sort_keys=True))


def _sort_key(path: tuple[str, ...]) -> Callable[[JsonObject], tuple[int, Any]]:
    def key(row: JsonObject) -> tuple[int, Any]:
        return _sort_value(next(iter(_field_values(row, path)), None))

    return key


def _id_range(
    table: Mapping[Any, JsonObject], filters: tuple[Filter, ...]
) -> tuple[list[JsonObject] | None, list[Filter]]:
    """Use ``id`` bounds (``id=gt:<last>`` export paging) to skip straight to the right rows.

    Relies on tables keeping rows in ascending id order.
    """
    bounds = [
        f
        for f in filters
        if isinstance(f, Condition)
        and f.path == ("id",)
        and f.op in ("gt", "gte", "lt", "lte")
        and f.values[0] is not None
    ]
    if not bounds:
        return None, list(filters)
    ids = list(table.keys())
    low, high = 0, len(ids)
    for bound in bounds:
        limit = _Operand(bound.values[0]).number()
        if bound.op == "gt":
            low = max(low, bisect.bisect_right(ids, limit))
        elif bound.op == "gte":
            low = max(low, bisect.bisect_left(ids, limit))
        elif bound.op == "lt":
            high = min(high, bisect.bisect_left(ids, limit))
        else:
            high = min(high, bisect.bisect_right(ids, limit))
    rows = [table[i] for i in ids[low:high]] if low < high else []
    return rows, [f for f in filters if f not in bounds]


def run_list_query(
    table: Mapping[Any, JsonObject], query: ListQuery
) -> tuple[list[JsonObject], int]:
    """The page of ``table`` that ``query`` selects, and how many rows matched in total."""
    sample = next(iter(table.values()), None)
    if sample is not None:
        for filter_ in query.filters:
            for attribute in _attributes(filter_):
                if attribute not in sample:
                    raise bad_request(f"Unknown filter attribute {attribute!r}")
        for key in query.sort:
            if key.path[0] not in sample:
                raise bad_request(f"Unknown sort attribute {key.path[0]!r}")
    start, stop = query.offset, query.offset + query.limit
    if not query.filters and not query.sort:
        return list(islice(table.values(), start, stop)), len(table)
    narrowed, remaining = (
        _id_range(table, query.filters)
        if sample is not None and "id" in sample
        else (None, list(query.filters))
    )
    rows: Iterable[JsonObject] = table.values() if narrowed is None else narrowed
    predicates = [f.predicate() for f in remaining]
    if predicates:
        matched = [row for row in rows if all(p(row) for p in predicates)]
    else:
        matched = rows if isinstance(rows, list) else list(rows)
    is_id_order = all(k.path == ("id",) and not k.descending for k in query.sort)
    if not is_id_order:
        matched = list(matched)
        for key in reversed(query.sort):
            matched.sort(key=_sort_key(key.path), reverse=key.descending)
    return matched[start:stop], len(matched)
