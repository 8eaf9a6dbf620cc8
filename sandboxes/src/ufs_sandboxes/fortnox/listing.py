"""List endpoints: paging, ``lastmodified``, ``filter``, one field search, dates and sorting.

Choices (documented here, since the real behaviour is partly *unverified*):

- Parameter names must be lower case; a name with an upper-case letter is refused (2000588)
  rather than silently ignored, so a client bug shows. So is any parameter the spec does not
  declare for the operation (``ListSpec.accepted``; the paging parameters ``limit``, ``page``,
  ``offset`` and ``sortorder`` are accepted everywhere), and a ``filter``, ``sortby`` or
  ``sortorder`` value outside its allowed set. A declared parameter the sandbox does not
  imitate is not in ``ListSpec.accepted`` and is refused the same way.
- ``limit`` outside 1..500 or ``page`` below 1 is refused (2000588). ``offset`` skips that many
  items before the page starts. An empty list still reports ``@TotalPages`` 1. A page after
  the last has no items, or is refused where the tenant says so (:func:`past_the_last`).
- More than one resource-specific search parameter is refused (2000588).
- ``lastmodified`` (``YYYY-MM-DD HH:MM`` or ``…:SS``, Swedish time; or a date alone, as in
  Fortnox's parameters guide, meaning its midnight) keeps entities changed at or after that
  moment.
- Without ``sortby``, customers and articles come lowest number first, as the spec documents
  (``ListSpec.default_sort``); other lists in creation order (ascending numbers for
  auto-numbered ones), or, where the tenant says so, the last changed first
  (``facts.UNSORTED_LIST_ORDER``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ufs_sandboxes.fortnox import errors
from ufs_sandboxes.fortnox.facts import FORTNOX_TIMEZONE
from ufs_sandboxes.fortnox.fields import Entity
from ufs_sandboxes.fortnox.tenant import Collection

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
PAGING_PARAMETERS: dict[str, frozenset[str] | None] = {
    "limit": None,
    "page": None,
    "offset": None,
    "sortorder": frozenset({"ascending", "descending"}),
}
"""Accepted on every list; the spec leaves them out of its operations."""

Predicate = Callable[[Entity, dt.date], bool]
SortKey = Callable[[Entity], Any]


@dataclass(frozen=True)
class ListSpec:
    """What one list endpoint supports."""

    search_fields: Mapping[str, str] = field(default_factory=dict)
    """query parameter → entity field, matched case-insensitively on a substring"""
    filters: Mapping[str, Predicate] = field(default_factory=dict)
    sort_keys: Mapping[str, SortKey] = field(default_factory=dict)
    date_field: str | None = None
    """entity field that ``fromdate``/``todate`` apply to"""
    lastmodified: bool = True
    handled_parameters: frozenset[str] = frozenset()
    """Declared parameters the resource applies itself before listing (e.g. a payment list's
    ``invoicenumber``); accepted here, ignored by ``list_page``."""
    default_sort: str | None = None
    """The ``sort_keys`` key of the order the spec documents for a list asked without
    ``sortby`` (ascending), e.g. ``GET /3/customers``: "sorted by customer number with the
    lowest number appearing first"; None where it documents none."""

    def accepted(self) -> dict[str, frozenset[str] | None]:
        """Query parameter → its allowed values (None: free text), paging ones included."""
        accepted: dict[str, frozenset[str] | None] = dict(PAGING_PARAMETERS)
        accepted.update(dict.fromkeys(self.search_fields))
        accepted.update(dict.fromkeys(self.handled_parameters))
        if self.filters:
            accepted["filter"] = frozenset(self.filters)
        if self.sort_keys:
            accepted["sortby"] = frozenset(self.sort_keys)
        if self.lastmodified:
            accepted["lastmodified"] = None
        if self.date_field is not None:
            accepted.update({"fromdate": None, "todate": None})
        return accepted


PAGING_ONLY = ListSpec(lastmodified=False)
"""A list with nothing but paging (a price list's prices of one article)."""


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Entity]
    total: int
    total_pages: int
    current_page: int

    def meta(self) -> dict[str, int]:
        return {
            "@TotalResources": self.total,
            "@TotalPages": self.total_pages,
            "@CurrentPage": self.current_page,
        }


def invalid_parameter(message: str) -> errors.FortnoxError:
    return errors.bad_request(errors.INVALID_PARAMETER, f"Ogiltig parameter i anropet. {message}")


def number_key(value: object) -> tuple[int, int, str]:
    """Sorts "2" before "10", and numbers before other strings."""
    text = "" if value is None else str(value)
    if text.isdigit():
        return (0, int(text), "")
    return (1, 0, text)


def parse_lastmodified(value: str) -> float:
    """The instant a ``lastmodified`` value names, read as Swedish wall time: an ambiguous
    autumn time (02:00-02:59 on the change day) as its first, summer-time pass; a time in the
    spring gap moved forward by the gap (02:30 is 03:30 summer time), as ``java.time`` does."""
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            moment = dt.datetime.strptime(value, pattern)
        except ValueError:
            continue
        return moment.replace(tzinfo=FORTNOX_TIMEZONE).timestamp()
    raise invalid_parameter(f"lastmodified ({value})")


def _parse_date(name: str, value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise invalid_parameter(f"{name} ({value})") from None
    return value


def _int_parameter(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid_parameter(f"{name} ({raw})")
    return int(raw)


@dataclass(frozen=True, slots=True)
class _Paging:
    limit: int
    page: int
    offset: int

    def cut(self, entities: Iterable[Entity], total: int) -> Page:
        start = self.offset + (self.page - 1) * self.limit
        items = list(itertools.islice(entities, start, start + self.limit))
        total_pages = max(1, -(-total // self.limit))
        return Page(items=items, total=total, total_pages=total_pages, current_page=self.page)


def past_the_last(page: Page, refused: bool) -> Page:
    """``page``, unless it lies after the list's last page and such a page is ``refused``
    (``facts.PAGE_PAST_THE_LAST_REFUSED``, a tenant's ``refuses_pages_past_the_last``)."""
    if refused and page.current_page > page.total_pages:
        raise invalid_parameter(f"page ({page.current_page})")
    return page


def check_query(query: Mapping[str, str], spec: ListSpec) -> None:
    """Refuse a parameter the operation does not declare, or a value outside its enum."""
    accepted = spec.accepted()
    for name, value in query.items():
        if name != name.lower():
            raise invalid_parameter(f"Parameternamn ska skrivas med gemener ({name})")
        if name not in accepted:
            raise invalid_parameter(f"Okänd parameter ({name})")
        allowed = accepted[name]
        if allowed is not None and value not in allowed:
            raise invalid_parameter(f"{name} ({value})")


def refuse_any_query(query: Mapping[str, str]) -> None:
    """For operations that declare no query parameter at all."""
    for name in query:
        raise invalid_parameter(f"Okänd parameter ({name})")


def _paging(query: Mapping[str, str]) -> _Paging:
    return _Paging(
        limit=_int_parameter(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        page=_int_parameter(query, "page", 1, 1, 10**9),
        offset=_int_parameter(query, "offset", 0, 0, 10**12),
    )


def page_of(entities: list[Entity], query: Mapping[str, str]) -> Page:
    """Paging only, for lists without filters (prices)."""
    check_query(query, PAGING_ONLY)
    return _paging(query).cut(entities, len(entities))


def list_page(
    collection: Collection,
    query: Mapping[str, str],
    spec: ListSpec,
    today: dt.date,
    *,
    last_changed_first: bool = False,
) -> Page:
    """Apply the query to a collection and cut out the requested page; without ``sortby``
    in the spec's documented order (``spec.default_sort``), else in creation order, or the
    last changed first (``last_changed_first``)."""
    check_query(query, spec)
    paging = _paging(query)
    last_changed_first = last_changed_first and spec.default_sort is None

    keys: Iterable[str] = collection.items.keys()
    if last_changed_first and "sortby" not in query:
        modified = collection.modified
        keys = sorted(reversed(list(keys)), key=modified.__getitem__, reverse=True)
    narrowed = False
    if "lastmodified" in query:
        since = parse_lastmodified(query["lastmodified"])
        modified = collection.modified
        keys = [key for key in keys if modified[key] >= since]
        narrowed = True
    entities: Iterable[Entity] = (collection.items[key] for key in keys)

    predicates = _predicates(query, spec, today)
    if predicates:
        entities = [e for e in entities if all(p(e, today) for p in predicates)]
        narrowed = True

    sort_by = query.get("sortby")
    if sort_by is None and spec.default_sort is not None:
        entities = sorted(entities, key=spec.sort_keys[spec.default_sort])
        narrowed = True
    elif sort_by is not None:
        key_function = spec.sort_keys.get(sort_by)
        if key_function is None:
            raise invalid_parameter(f"sortby ({sort_by})")
        descending = query.get("sortorder", "ascending") == "descending"
        entities = sorted(entities, key=key_function, reverse=descending)
        narrowed = True

    if narrowed or last_changed_first:
        materialised = list(entities)
        return paging.cut(materialised, len(materialised))
    return paging.cut(entities, len(collection))


def _predicates(query: Mapping[str, str], spec: ListSpec, today: dt.date) -> list[Predicate]:
    predicates: list[Predicate] = []
    filter_name = query.get("filter")
    if filter_name is not None:
        predicate = spec.filters.get(filter_name)
        if predicate is None:
            raise invalid_parameter(f"filter ({filter_name})")
        predicates.append(predicate)

    searches = [name for name in query if name in spec.search_fields]
    if len(searches) > 1:
        raise invalid_parameter("Endast en sökparameter per anrop")
    if searches:
        field_name = spec.search_fields[searches[0]]
        needle = query[searches[0]].lower()
        predicates.append(lambda e, _today: needle in str(e.get(field_name) or "").lower())

    if spec.date_field is not None:
        date_field = spec.date_field
        if "fromdate" in query:
            low = _parse_date("fromdate", query["fromdate"])
            predicates.append(lambda e, _today: (e.get(date_field) or "") >= low)
        if "todate" in query:
            high = _parse_date("todate", query["todate"])
            predicates.append(lambda e, _today: "" < (e.get(date_field) or "") <= high)
    return predicates
