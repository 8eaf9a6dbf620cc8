"""Fortnox's registers read as lists: page by page, or as one stream of entities.

A list answer carries the page's items and the list's ``MetaInformation`` (see
:data:`.facts.LIST_META_INFORMATION`). :class:`FortnoxListings` is the part of
:class:`~.client.FortnoxClient` that reads them; it sends through the client's ``_send``.
``iter_gapless`` reads a register whole with overlapping pages in its number order, so that an
entity moved by a change between two page reads is not missed (see :mod:`.gapless`); the other
``iter_*`` read pages one after the other in the same order (an entity changed between two
reads stays in its place; one that leaves the list moves the next ones back).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Generic, TypeVar

from pydantic import ValidationError

from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxMalformedResponse,
    FortnoxNotFound,
    FortnoxValidationError,
)
from upsales_fortnox.integrations.fortnox.gapless import LIST_ORDERS, Answer, Window, read_gapless
from upsales_fortnox.integrations.fortnox.lastmodified import format_lastmodified
from upsales_fortnox.integrations.fortnox.models import (
    Article,
    Customer,
    Entity,
    Invoice,
    MetaInformation,
    Offer,
    Order,
    PriceList,
)
from upsales_fortnox.integrations.fortnox.payments import InvoicePayment
from upsales_fortnox.integrations.fortnox.responses import items

#: Largest page Fortnox serves.
PAGE_SIZE: Final = 500

E = TypeVar("E", bound=Entity)


@dataclass(frozen=True)
class ListPage(Generic[E]):
    """One page of a list: its items and the list's ``MetaInformation``."""

    items: list[E]
    total_resources: int
    total_pages: int
    current_page: int


def list_params(
    last_modified: datetime | None, filter: str | None, search: Mapping[str, str] | None
) -> dict[str, str]:
    """The query of a list: one field ``search``, ``lastmodified``, ``filter``."""
    params: dict[str, str] = {}
    if search:
        if len(search) > 1:
            raise ValueError("Fortnox allows one field search per request")
        ((name, value),) = search.items()
        params[name.lower()] = value
    if last_modified is not None:
        params["lastmodified"] = format_lastmodified(last_modified)
    if filter is not None:
        params["filter"] = filter
    return params


class FortnoxListings(ABC):
    """The list reads of one tenant's client."""

    @abstractmethod
    async def _send(
        self,
        method: str,
        template: str,
        *,
        params: Mapping[str, str] | None = None,
        path: Mapping[str, object] | None = None,
    ) -> Any:
        """One API call; the parsed JSON."""

    def iter_customers(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Customer]:
        """All customers (list subsets), optionally changed since ``last_modified``.

        ``filter``: ``active`` | ``inactive``. ``search``: one field search, e.g.
        ``{"organisationnumber": "556677-8899"}`` or ``{"name": "Acme"}``.
        """
        return self._iterate(Customer, "/customers", list_params(last_modified, filter, search))

    def iter_articles(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Article]:
        return self._iterate(Article, "/articles", list_params(last_modified, filter, search))

    async def list_price_lists(self) -> list[PriceList]:
        return [price_list async for price_list in self._iterate(PriceList, "/pricelists", {})]

    def iter_orders(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Order]:
        """``filter``: ``cancelled`` | ``expired`` | ``invoicecreated`` | ``invoicenotcreated``."""
        return self._iterate(Order, "/orders", list_params(last_modified, filter, search))

    def iter_invoices(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Invoice]:
        """``filter``: ``cancelled`` | ``fullypaid`` | ``unpaid`` | ``unpaidoverdue`` | ..."""
        return self._iterate(Invoice, "/invoices", list_params(last_modified, filter, search))

    def iter_offers(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Offer]:
        """``filter``: ``cancelled`` | ``expired`` | ``ordercreated`` | ``ordernotcreated``."""
        return self._iterate(Offer, "/offers", list_params(last_modified, filter, search))

    def iter_documents_between(
        self, model: type[E], first_day: date, last_day: date
    ) -> AsyncIterator[E]:
        """Orders or invoices (``model``) dated ``first_day``..``last_day``: ``fromdate`` and
        ``todate`` go together (they are a date range, not a field search)."""
        params = {"fromdate": first_day.isoformat(), "todate": last_day.isoformat()}
        return self._iterate(model, f"/{model.WIRE_COLLECTION.lower()}", params)

    def iter_invoice_payments(
        self, invoice_number: int | None = None, *, last_modified: datetime | None = None
    ) -> AsyncIterator[InvoicePayment]:
        """``GET /3/invoicepayments``: one invoice's payments (``invoicenumber``), or those
        changed since ``last_modified``."""
        params = list_params(last_modified, None, None)
        if invoice_number is not None:
            params["invoicenumber"] = str(invoice_number)
        return self._iterate(InvoicePayment, "/invoicepayments", params)

    def iter_gapless(
        self,
        model: type[E],
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
    ) -> AsyncIterator[E]:
        """Every entity of a register (``model``: one of :data:`.gapless.LIST_ORDERS`),
        optionally changed since ``last_modified`` or in ``filter``, none missed when entities
        move between page reads (see :mod:`.gapless`). One call for a list of one page."""
        order = LIST_ORDERS[model]
        params = list_params(last_modified, filter, None)
        params |= {"sortby": order.sort_by, "sortorder": "ascending"}
        template = f"/{model.WIRE_COLLECTION.lower()}"

        async def fetch(window: Window) -> Answer[E]:
            listed = await self._fetch_page(model, template, params, window.page, window.limit)
            return Answer(listed.items, listed.total_resources, window.page >= listed.total_pages)

        return read_gapless(fetch, order, PAGE_SIZE)

    async def list_page(
        self,
        model: type[E],
        page: int,
        *,
        sort_by: str | None = None,
        filter: str | None = None,
    ) -> ListPage[E]:
        """One page (``PAGE_SIZE`` items) of a register, with its paging information.

        For long imports that checkpoint after every page. ``model`` names the register
        (``Customer``, ``Article``, ``Order``, ``Invoice`` or ``Offer``); ``sort_by`` one of the
        register's ``sortby`` keys in the spec (ascending), so pages stay stable while new
        entities are appended; ``filter`` one of its ``filter`` values (e.g. ``active``).
        """
        params = {"sortby": sort_by, "sortorder": "ascending"} if sort_by else {}
        if filter is not None:
            params["filter"] = filter
        return await self._fetch_page(model, f"/{model.WIRE_COLLECTION.lower()}", params, page)

    async def _iterate(
        self, model: type[E], template: str, params: dict[str, str]
    ) -> AsyncIterator[E]:
        """Page after page; a register's in its number order, which holds from one call to the
        next, unlike the order without ``sortby`` (:data:`.facts.UNSORTED_LIST_ORDER`)."""
        order = LIST_ORDERS.get(model)
        if order is not None:
            params = {**params, "sortby": order.sort_by, "sortorder": "ascending"}
        page = 1
        while True:
            listed = await self._fetch_page(model, template, params, page)
            for item in listed.items:
                yield item
            if page >= listed.total_pages:
                return
            page += 1

    async def _past_the_last(
        self,
        model: type[E],
        template: str,
        params: dict[str, str],
        page: int,
        size: int,
        refused: FortnoxValidationError | FortnoxNotFound,
    ) -> ListPage[E]:
        """A refused page after the first: no items when it lies past the list's last page as
        page 1 tells it (:data:`.facts.PAGE_PAST_THE_LAST`), else the refusal."""
        first = await self._fetch_page(model, template, params, 1, size)
        if page <= first.total_pages:
            raise refused
        return ListPage(
            items=[],
            total_resources=first.total_resources,
            total_pages=first.total_pages,
            current_page=page,
        )

    async def _fetch_page(
        self,
        model: type[E],
        template: str,
        params: dict[str, str],
        page: int,
        limit: int | None = None,
    ) -> ListPage[E]:
        """Page ``page`` of ``limit`` items (default ``PAGE_SIZE``)."""
        label = f"GET {template}"
        size = limit or PAGE_SIZE
        try:
            data = await self._send(
                "GET", template, params={**params, "limit": str(size), "page": str(page)}
            )
        except (FortnoxValidationError, FortnoxNotFound) as refused:
            if page == 1:
                raise
            return await self._past_the_last(model, template, params, page, size, refused)
        listed = items(model, data, label)
        if data.get("MetaInformation") is None:  # see facts.LIST_META_INFORMATION
            more = len(listed) >= size
            return ListPage(
                items=listed,
                total_resources=(page - 1) * size + len(listed) + (1 if more else 0),
                total_pages=page + 1 if more else page,
                current_page=page,
            )
        try:
            meta = MetaInformation.model_validate(data["MetaInformation"])
        except ValidationError:
            raise FortnoxMalformedResponse(f"{label}: no valid MetaInformation") from None
        return ListPage(
            items=listed,
            total_resources=meta.TotalResources,
            total_pages=meta.TotalPages,
            current_page=meta.CurrentPage,
        )
