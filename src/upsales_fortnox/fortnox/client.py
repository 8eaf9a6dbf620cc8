"""The Fortnox REST API v3 client for one tenant.

Every request waits its turn at the tenant's pacer (:class:`~.budget.TenantPacer`: the
:class:`~.pacing.SlidingWindowLimiter`, shared across processes on PostgreSQL) and holds
its place there until the response is in. Then:

* **429**: the limiter pauses the tenant (``Retry-After``, else backoff) and the request is
  repeated until ``RetryPolicy.rate_limit_budget_seconds`` would be exceeded, then
  :class:`~.errors.FortnoxRateLimited` is raised.
* **5xx, network errors, timeouts**: repeated with exponential backoff and jitter within
  ``RetryPolicy.unavailable_budget_seconds``, then :class:`~.errors.FortnoxUnavailable`. Reads
  and deletes are repeated freely. Writes (POST, PUT) are repeated only when they certainly
  never reached Fortnox (connection refused or never established): a repeated create makes a
  second document, and a repeated PUT adds its new rows (rows without ``RowId``) again. A write
  whose outcome is unknown raises at once; the job is retried and re-reads the current state.
* **401, or 403 naming the token**: the access token is refreshed once and the request
  repeated once.
* Other failures raise the typed errors of :mod:`.errors`.

``calls`` counts the HTTP requests sent per ``"METHOD /path/{Template}"``, for benchmarks.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from upsales_fortnox.fortnox import jsonwire
from upsales_fortnox.fortnox.budget import TenantPacer
from upsales_fortnox.fortnox.errors import (
    FortnoxMalformedResponse,
    FortnoxNotFound,
    FortnoxRateLimited,
    FortnoxUnavailable,
    error_from_response,
    is_token_failure,
    parse_retry_after,
)
from upsales_fortnox.fortnox.lastmodified import format_lastmodified
from upsales_fortnox.fortnox.models import (
    Article,
    CompanyInformation,
    Customer,
    Entity,
    Invoice,
    MetaInformation,
    Offer,
    Order,
    Price,
    PriceList,
)
from upsales_fortnox.fortnox.pacing import Clock, Sleep
from upsales_fortnox.fortnox.payments import InvoicePayment

#: Largest page Fortnox serves.
PAGE_SIZE: Final = 500
#: The document PDF operations, by collection.
_PREVIEWS: Final = {
    "invoices": "/invoices/{DocumentNumber}/preview",
    "orders": "/orders/{DocumentNumber}/preview",
    "offers": "/offers/{DocumentNumber}/preview",
}
#: Connection failures after which the request certainly did not reach Fortnox.
_NOT_SENT_ERRORS: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

E = TypeVar("E", bound=Entity)


@dataclass(frozen=True)
class ListPage(Generic[E]):
    """One page of a list: its items and the list's ``MetaInformation``."""

    items: list[E]
    total_resources: int
    total_pages: int
    current_page: int


@dataclass(frozen=True)
class RetryPolicy:
    rate_limit_budget_seconds: float = 60.0
    unavailable_budget_seconds: float = 30.0
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 8.0
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    jitter: Callable[[], float] = field(default=random.random)

    def backoff(self, failures: int) -> float:
        """Delay after the ``failures``-th consecutive failure: doubling, capped, jittered."""
        ceiling = min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0 ** (failures - 1))
        return ceiling / 2 + ceiling / 2 * self.jitter()


class FortnoxClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        tenant_key: str,
        access_token: Callable[[], Awaitable[str]],
        refresh_token: Callable[[str], Awaitable[str]],
        limiter: TenantPacer,
        retry: RetryPolicy | None = None,
        calls: Counter[str] | None = None,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._api_root = self._base_url.rsplit("/", 1)[0]
        """Where Fortnox's newer APIs live (``/api/warehouse/…``), beside ``/3``."""
        self.tenant_key = tenant_key
        self._access_token = access_token
        self._refresh_token = refresh_token
        self._limiter = limiter
        self._retry = retry or RetryPolicy()
        self.calls: Counter[str] = Counter() if calls is None else calls
        self._price_lists_seen: set[str] = set()
        """Price lists known to exist, so a 404 for an article means "no price"."""

    # Customers

    async def get_customer(self, customer_number: str) -> Customer:
        return await self._get(
            Customer, "/customers/{CustomerNumber}", CustomerNumber=customer_number
        )

    async def create_customer(self, customer: Customer) -> Customer:
        return await self._create(customer, "/customers")

    async def update_customer(self, customer_number: str, customer: Customer) -> Customer:
        return await self._update(
            customer, "/customers/{CustomerNumber}", CustomerNumber=customer_number
        )

    async def delete_customer(self, customer_number: str) -> None:
        await self._send(
            "DELETE", "/customers/{CustomerNumber}", path={"CustomerNumber": customer_number}
        )

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
        return self._iterate(Customer, "/customers", _list_params(last_modified, filter, search))

    # Articles, price lists and prices

    async def get_article(self, article_number: str) -> Article:
        return await self._get(Article, "/articles/{ArticleNumber}", ArticleNumber=article_number)

    def iter_articles(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Article]:
        return self._iterate(Article, "/articles", _list_params(last_modified, filter, search))

    async def list_price_lists(self) -> list[PriceList]:
        return [price_list async for price_list in self._iterate(PriceList, "/pricelists", {})]

    async def get_price_list(self, code: str) -> PriceList:
        return await self._get(PriceList, "/pricelists/{Code}", Code=code)

    async def article_prices(self, price_list: str, article_number: str) -> list[Price]:
        """Every price (all from-quantities) of one article in one price list; empty when the
        list has none for it.

        ``GET /3/prices/sublist/{PriceList}/{ArticleNumber}``: one call. The spec offers no
        operation that lists a chosen price list's prices for more than one article
        (``GET /3/prices`` takes no price list and answers a single ``Price``), so pricing N
        articles costs N of these. Whether an unpriced article answers 404 or an empty list is
        a guess (:data:`.facts.PRICE_MISSING_IS_NOT_FOUND`): both are "no price". A 404
        because the price list itself is gone raises :class:`.FortnoxNotFound`: the first 404
        asks ``GET /3/pricelists/{Code}`` once per client, so N articles cost N + 1 calls at
        most.
        """
        template = "/prices/sublist/{PriceList}/{ArticleNumber}"
        path = {"PriceList": price_list, "ArticleNumber": article_number}
        try:
            data = await self._send("GET", template, path=path)
        except FortnoxNotFound:
            if price_list not in self._price_lists_seen:
                await self.get_price_list(price_list)
                self._price_lists_seen.add(price_list)
            return []
        return _items(Price, data, f"GET {template}")

    async def get_price(
        self, price_list: str, article_number: str, from_quantity: Decimal | None = None
    ) -> Price:
        if from_quantity is None:
            return await self._get(
                Price,
                "/prices/{PriceList}/{ArticleNumber}",
                PriceList=price_list,
                ArticleNumber=article_number,
            )
        return await self._get(
            Price,
            "/prices/{PriceList}/{ArticleNumber}/{FromQuantity}",
            PriceList=price_list,
            ArticleNumber=article_number,
            FromQuantity=format(from_quantity, "f"),
        )

    # Orders

    async def get_order(self, document_number: int) -> Order:
        return await self._get(Order, "/orders/{DocumentNumber}", DocumentNumber=document_number)

    async def create_order(self, order: Order) -> Order:
        return await self._create(order, "/orders")

    async def update_order(self, document_number: int, order: Order) -> Order:
        return await self._update(order, "/orders/{DocumentNumber}", DocumentNumber=document_number)

    async def cancel_order(self, document_number: int) -> Order:
        return await self._action(Order, "/orders/{DocumentNumber}/cancel", document_number)

    async def create_invoice_from_order(self, document_number: int) -> Invoice:
        """``PUT /orders/{n}/createinvoice``: the new invoice (may leave a backorder)."""
        return await self._action(
            Invoice, "/orders/{DocumentNumber}/createinvoice", document_number
        )

    def iter_orders(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Order]:
        """``filter``: ``cancelled`` | ``expired`` | ``invoicecreated`` | ``invoicenotcreated``."""
        return self._iterate(Order, "/orders", _list_params(last_modified, filter, search))

    # Invoices

    async def get_invoice(self, document_number: int) -> Invoice:
        return await self._get(
            Invoice, "/invoices/{DocumentNumber}", DocumentNumber=document_number
        )

    async def create_invoice(self, invoice: Invoice) -> Invoice:
        return await self._create(invoice, "/invoices")

    async def update_invoice(self, document_number: int, invoice: Invoice) -> Invoice:
        return await self._update(
            invoice, "/invoices/{DocumentNumber}", DocumentNumber=document_number
        )

    async def cancel_invoice(self, document_number: int) -> Invoice:
        return await self._action(Invoice, "/invoices/{DocumentNumber}/cancel", document_number)

    def iter_invoices(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Invoice]:
        """``filter``: ``cancelled`` | ``fullypaid`` | ``unpaid`` | ``unpaidoverdue`` | ..."""
        return self._iterate(Invoice, "/invoices", _list_params(last_modified, filter, search))

    def iter_documents_between(
        self, model: type[E], first_day: date, last_day: date
    ) -> AsyncIterator[E]:
        """Orders or invoices (``model``) dated ``first_day``..``last_day``: ``fromdate`` and
        ``todate`` go together (they are a date range, not a field search)."""
        params = {"fromdate": first_day.isoformat(), "todate": last_day.isoformat()}
        return self._iterate(model, f"/{model.WIRE_COLLECTION.lower()}", params)

    # Invoice payments

    async def get_invoice_payment(self, number: str) -> InvoicePayment:
        """``GET /3/invoicepayments/{Number}``: the payment (its ``InvoiceNumber`` names the
        invoice it pays)."""
        return await self._get(InvoicePayment, "/invoicepayments/{Number}", Number=number)

    def iter_invoice_payments(
        self, invoice_number: int | None = None, *, last_modified: datetime | None = None
    ) -> AsyncIterator[InvoicePayment]:
        """``GET /3/invoicepayments``: one invoice's payments (``invoicenumber``), or those
        changed since ``last_modified``."""
        params = _list_params(last_modified, None, None)
        if invoice_number is not None:
            params["invoicenumber"] = str(invoice_number)
        return self._iterate(InvoicePayment, "/invoicepayments", params)

    # Offers

    async def get_offer(self, document_number: int) -> Offer:
        return await self._get(Offer, "/offers/{DocumentNumber}", DocumentNumber=document_number)

    async def create_offer(self, offer: Offer) -> Offer:
        return await self._create(offer, "/offers")

    async def update_offer(self, document_number: int, offer: Offer) -> Offer:
        return await self._update(offer, "/offers/{DocumentNumber}", DocumentNumber=document_number)

    async def cancel_offer(self, document_number: int) -> Offer:
        return await self._action(Offer, "/offers/{DocumentNumber}/cancel", document_number)

    async def create_order_from_offer(self, document_number: int) -> Order:
        """``PUT /offers/{n}/createorder``: the new order (``{"Order":…}``, per the spec)."""
        return await self._action(Order, "/offers/{DocumentNumber}/createorder", document_number)

    def iter_offers(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Offer]:
        """``filter``: ``cancelled`` | ``expired`` | ``ordercreated`` | ``ordernotcreated``."""
        return self._iterate(Offer, "/offers", _list_params(last_modified, filter, search))

    # Document PDFs

    async def document_preview(self, collection: str, document_number: int) -> bytes:
        """The PDF of an invoice, order or offer (``collection``: ``invoices``, ``orders``,
        ``offers``), ``GET /3/{collection}/{n}/preview``; ``preview``, not ``print``: printing
        marks the document as sent in Fortnox."""
        template = _PREVIEWS.get(collection)
        if template is None:
            raise ValueError(f"no PDF preview for {collection!r}")
        content: bytes = await self._send(
            "GET",
            template,
            path={"DocumentNumber": document_number},
            accept="application/pdf",
        )
        return content

    # Fortnox Lager

    async def stock_balance(self, article_number: str) -> Any:
        """``GET /api/warehouse/status-v1/stockbalance?itemIds=<article>``, as answered (the
        shape is read by :func:`~.stock.balance_of`)."""
        return await self._send(
            "GET",
            "/api/warehouse/status-v1/stockbalance",
            params={"itemIds": article_number},
            from_root=True,
            refresh_on_403=False,  # 403 here: no Fortnox Lager (see .stock), not the token
        )

    # Company

    async def get_company_information(self) -> CompanyInformation:
        label = "GET /companyinformation"
        data = await self._send("GET", "/companyinformation")
        return _unwrap(CompanyInformation, CompanyInformation.WIRE_NAME, data, label)

    # Plumbing

    async def _get(self, model: type[E], template: str, **path: object) -> E:
        data = await self._send("GET", template, path=path)
        return _unwrap(model, model.WIRE_NAME, data, f"GET {template}")

    async def _create(self, entity: E, template: str) -> E:
        data = await self._send("POST", template, body={entity.WIRE_NAME: entity.to_wire()})
        return _unwrap(type(entity), entity.WIRE_NAME, data, f"POST {template}")

    async def _update(self, entity: E, template: str, **path: object) -> E:
        data = await self._send(
            "PUT", template, body={entity.WIRE_NAME: entity.to_wire()}, path=path
        )
        return _unwrap(type(entity), entity.WIRE_NAME, data, f"PUT {template}")

    async def _action(self, model: type[E], template: str, document_number: int) -> E:
        data = await self._send("PUT", template, path={"DocumentNumber": document_number})
        return _unwrap(model, model.WIRE_NAME, data, f"PUT {template}")

    async def _iterate(
        self, model: type[E], template: str, params: dict[str, str], **path: object
    ) -> AsyncIterator[E]:
        page = 1
        while True:
            listed = await self._fetch_page(model, template, params, page, path)
            for item in listed.items:
                yield item
            if page >= listed.total_pages:
                return
            page += 1

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
        return await self._fetch_page(model, f"/{model.WIRE_COLLECTION.lower()}", params, page, {})

    async def _fetch_page(
        self,
        model: type[E],
        template: str,
        params: dict[str, str],
        page: int,
        path: Mapping[str, object],
    ) -> ListPage[E]:
        label = f"GET {template}"
        data = await self._send(
            "GET",
            template,
            params={**params, "limit": str(PAGE_SIZE), "page": str(page)},
            path=path,
        )
        items = _items(model, data, label)
        if data.get("MetaInformation") is None:  # see facts.LIST_META_INFORMATION
            more = len(items) >= PAGE_SIZE
            return ListPage(
                items=items,
                total_resources=(page - 1) * PAGE_SIZE + len(items) + (1 if more else 0),
                total_pages=page + 1 if more else page,
                current_page=page,
            )
        try:
            meta = MetaInformation.model_validate(data["MetaInformation"])
        except ValidationError:
            raise FortnoxMalformedResponse(f"{label}: no valid MetaInformation") from None
        return ListPage(
            items=items,
            total_resources=meta.TotalResources,
            total_pages=meta.TotalPages,
            current_page=meta.CurrentPage,
        )

    async def _send(
        self,
        method: str,
        template: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        path: Mapping[str, object] | None = None,
        accept: str = "application/json",
        from_root: bool = False,
        refresh_on_403: bool = True,
    ) -> Any:
        """One API call with pacing, retries and one token refresh; the parsed JSON or None
        (with another ``accept``: the body's bytes)."""
        label = f"{method} {template}"
        repeatable = method in ("GET", "DELETE")
        url = (self._api_root if from_root else self._base_url) + template.format(
            **{name: quote(str(value), safe="") for name, value in (path or {}).items()}
        )
        content = None if body is None else jsonwire.dumps(body).encode()
        started = self._retry.clock()
        failures = 0
        refreshed = False
        while True:
            token = await self._access_token()
            try:
                async with self._limiter.slot():
                    self.calls[label] += 1
                    response = await self._http.request(
                        method, url, params=params, content=content, headers=_headers(token, accept)
                    )
            except httpx.TransportError as exc:
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "network error"
                error = FortnoxUnavailable(f"{label}: {kind} ({type(exc).__name__})")
                if not repeatable and not isinstance(exc, _NOT_SENT_ERRORS):
                    raise error from None
                failures += 1
                await self._back_off(error, failures, started)
                continue
            status = response.status_code
            if status == 429:
                pause = self._limiter.rate_limited(parse_retry_after(response))
                if self._retry.clock() - started + pause > self._retry.rate_limit_budget_seconds:
                    raise FortnoxRateLimited(
                        f"{label}: rate limited for longer than "
                        f"{self._retry.rate_limit_budget_seconds:g} s",
                        status=429,
                        retry_after=pause,
                    )
                continue
            self._limiter.succeeded()
            if status >= 500 and repeatable:
                failures += 1
                await self._back_off(
                    error_from_response(response, request_label=label), failures, started
                )
                continue
            token_failure = is_token_failure(response) and (
                refresh_on_403 or response.status_code != 403
            )
            if not refreshed and token_failure:
                refreshed = True
                await self._refresh_token(token)
                continue
            if status >= 400:
                raise error_from_response(response, request_label=label)
            if accept != "application/json":
                return response.content
            return _parse_json(response, label)

    async def _back_off(self, error: Exception, failures: int, started: float) -> None:
        """Sleep before the next attempt, or raise ``error`` when that would pass the budget."""
        delay = self._retry.backoff(failures)
        elapsed = self._retry.clock() - started
        if elapsed + delay > self._retry.unavailable_budget_seconds:
            raise error
        await self._retry.sleep(delay)


def _headers(token: str, accept: str = "application/json") -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Accept": accept,
        "Content-Type": "application/json",
    }


def _list_params(
    last_modified: datetime | None, filter: str | None, search: Mapping[str, str] | None
) -> dict[str, str]:
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


def _parse_json(response: httpx.Response, label: str) -> Any:
    if response.status_code == 204 or not response.content.strip():
        return None
    try:
        return jsonwire.loads(response.content)
    except ValueError:
        raise FortnoxMalformedResponse(
            f"{label}: HTTP {response.status_code} with a body that is not JSON",
            status=response.status_code,
        ) from None


M = TypeVar("M", bound=BaseModel)


def _unwrap(model: type[M], wrapper: str, data: Any, label: str) -> M:
    if not isinstance(data, dict) or not isinstance(data.get(wrapper), dict):
        raise FortnoxMalformedResponse(f"{label}: the response has no {wrapper} object")
    return _validate(model, data[wrapper], label)


def _items(model: type[M], data: Any, label: str) -> list[M]:
    """The items of a list answer (``{"Prices": [...]}``)."""
    collection = getattr(model, "WIRE_COLLECTION", "")
    if not isinstance(data, dict) or not isinstance(data.get(collection), list):
        raise FortnoxMalformedResponse(f"{label}: no {collection} list")
    return [_validate(model, item, label) for item in data[collection]]


def _validate(model: type[M], item: Any, label: str) -> M:
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(map(str, e["loc"])) for e in exc.errors()}))
        raise FortnoxMalformedResponse(f"{label}: unexpected {model.__name__} ({fields})") from None
