"""The Fortnox REST API v3 client for one tenant.

Every request waits its turn at the tenant's pacer (:class:`~..shared_pacing.TenantPacer`: the
:class:`~..pacing.SlidingWindowLimiter`, shared across processes on PostgreSQL) and holds its
place there until the response is in. Then:

* **429**: the limiter pauses the tenant (``Retry-After``, else backoff) and the request is
  repeated until ``RetryPolicy.rate_limit_budget_seconds`` would be exceeded, then
  :class:`~.errors.FortnoxRateLimited` is raised (at once when the tenant's pause ends past it).
* **5xx, network errors, timeouts**: repeated with exponential backoff and jitter within
  ``RetryPolicy.max_elapsed_seconds``, then :class:`~.errors.FortnoxUnavailable`. Reads
  and deletes are repeated freely. Writes (POST, PUT) are repeated only when they certainly
  never reached Fortnox (connection refused or never established): a repeated create makes a
  second document, and a repeated PUT adds its new rows (rows without ``RowId``) again. A write
  whose outcome is unknown raises at once; the job is retried and re-reads the current state.
* **401, or 403 naming the token**: the access token is refreshed once and the request
  repeated once.
* Other failures raise the typed errors of :mod:`.errors`.

The list reads are in :mod:`.listing`, the retry numbers in :mod:`.request_rules`, a 404 for a
number holding "/" in :mod:`.slashed_numbers`. ``calls`` counts the HTTP requests sent per
``"METHOD /path/{Template}"``, for benchmarks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx

from upsales_fortnox.integrations.fortnox import request_rules
from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxAnswerNotJson,
    FortnoxNotFound,
    FortnoxNotSent,
    FortnoxRateLimited,
    FortnoxUnavailable,
    error_from_response,
    is_token_failure,
    parse_retry_after,
)
from upsales_fortnox.integrations.fortnox.listing import FortnoxListings
from upsales_fortnox.integrations.fortnox.models import (
    Article,
    CompanyInformation,
    Customer,
    Entity,
    Invoice,
    Offer,
    Order,
    Price,
    PriceList,
)
from upsales_fortnox.integrations.fortnox.payments import InvoicePayment
from upsales_fortnox.integrations.fortnox.responses import items, parse_json, unwrap
from upsales_fortnox.integrations.fortnox.slashed_numbers import check_not_found
from upsales_fortnox.integrations.jsonwire import FORTNOX_JSON
from upsales_fortnox.integrations.pacing import PausedPastPatience
from upsales_fortnox.integrations.retry import RetryPolicy
from upsales_fortnox.integrations.send_check import before_sending, first_send, recheck_extensions
from upsales_fortnox.integrations.shared_pacing import TenantPacer
from upsales_fortnox.integrations.step_aside import waiting_outside

#: The document PDF operations, by collection.
_PREVIEWS: Final = {
    "invoices": "/invoices/{DocumentNumber}/preview",
    "orders": "/orders/{DocumentNumber}/preview",
    "offers": "/offers/{DocumentNumber}/preview",
}
#: Connection failures after which the request certainly did not reach Fortnox.
_NOT_SENT_ERRORS: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: Path ids no record can have: a URL drops them ("") or resolves them away ("." and "..").
_DOT_SEGMENTS: Final = frozenset({"", ".", ".."})
_CUSTOMER: Final = "/customers/{CustomerNumber}"

E = TypeVar("E", bound=Entity)


class FortnoxClient(FortnoxListings):
    """One tenant's client; see the module docstring."""

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
        self._retry = retry or request_rules.RETRY
        self.calls: Counter[str] = Counter() if calls is None else calls
        self._price_lists_seen: set[str] = set()
        """Price lists known to exist, so a 404 for an article means "no price"."""

    # Customers

    async def get_customer(self, customer_number: str) -> Customer:
        return await self._get(Customer, _CUSTOMER, CustomerNumber=customer_number)

    async def create_customer(self, customer: Customer) -> Customer:
        return await self._create(customer, "/customers")

    async def update_customer(self, customer_number: str, customer: Customer) -> Customer:
        return await self._update(customer, _CUSTOMER, CustomerNumber=customer_number)

    async def delete_customer(self, customer_number: str) -> None:
        await self._send("DELETE", _CUSTOMER, path={"CustomerNumber": customer_number})

    # Articles, price lists and prices

    async def get_article(self, article_number: str) -> Article:
        return await self._get(Article, "/articles/{ArticleNumber}", ArticleNumber=article_number)

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
        most. Rows naming another article are left out
        (:data:`.facts.PRICE_SUBLIST_MAY_HOLD_OTHER_ARTICLES`).
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
        wanted = article_number.strip().casefold()
        return [
            price
            for price in items(Price, data, f"GET {template}")
            if price.ArticleNumber is None or price.ArticleNumber.strip().casefold() == wanted
        ]

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

    # Invoice payments

    async def get_invoice_payment(self, number: str) -> InvoicePayment:
        """``GET /3/invoicepayments/{Number}``: the payment (its ``InvoiceNumber`` names the
        invoice it pays)."""
        return await self._get(InvoicePayment, "/invoicepayments/{Number}", Number=number)

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
        return unwrap(CompanyInformation, CompanyInformation.WIRE_NAME, data, label)

    # Plumbing

    async def _get(self, model: type[E], template: str, **path: object) -> E:
        try:
            data = await self._send("GET", template, path=path)
        except FortnoxNotFound:
            await check_not_found(self, model, path)  # a number holding "/" is listed after all
            raise
        return unwrap(model, model.WIRE_NAME, data, f"GET {template}")

    async def _create(self, entity: E, template: str) -> E:
        data = await self._send("POST", template, body={entity.WIRE_NAME: entity.to_wire()})
        return unwrap(type(entity), entity.WIRE_NAME, data, f"POST {template}")

    async def _update(self, entity: E, template: str, **path: object) -> E:
        data = await self._send(
            "PUT", template, body={entity.WIRE_NAME: entity.to_wire()}, path=path
        )
        return unwrap(type(entity), entity.WIRE_NAME, data, f"PUT {template}")

    async def _action(self, model: type[E], template: str, document_number: int) -> E:
        data = await self._send("PUT", template, path={"DocumentNumber": document_number})
        return unwrap(model, model.WIRE_NAME, data, f"PUT {template}")

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
        segments = {name: quote(str(value), safe="") for name, value in (path or {}).items()}
        for segment in segments.values():
            if segment in _DOT_SEGMENTS:  # the URL would resolve it away: /3/customers/.. is /3
                raise FortnoxNotFound(f"{label}: no Fortnox record has the id {segment!r}")
        url = (self._api_root if from_root else self._base_url) + template.format(**segments)
        content = None if body is None else FORTNOX_JSON.dumps(body)
        started = self._retry.clock()
        failures = 0
        refreshed = False
        outlasts_budget = partial(self._retry.outlasts_rate_limit_budget, started)
        budget = self._retry.rate_limit_budget_seconds
        while True:
            pause = self._limiter.pause_left()  # a 429's; asked before a token is fetched
            if pause > 0 and outlasts_budget(pause):  # (the slot asks again, and while it waits)
                raise FortnoxRateLimited.past_budget(label, budget, pause)
            token = await self._access_token()
            try:
                async with self._limiter.slot(outlasts_budget):
                    if method != "GET":
                        before_sending()  # a job whose lease ended meanwhile writes nothing
                        await first_send()
                    self.calls[label] += 1
                    options = _options(method, token, accept)
                    async with waiting_outside():
                        response = await self._http.request(
                            method, url, params=params, content=content, **options
                        )
            except PausedPastPatience as paused:  # another request's 429, while this one waited
                raise FortnoxRateLimited.past_budget(label, budget, paused.pause_left) from None
            except httpx.TransportError as exc:
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "network error"
                not_sent = isinstance(exc, _NOT_SENT_ERRORS)
                error = (FortnoxNotSent if not_sent else FortnoxUnavailable)(
                    f"{label}: {kind} ({type(exc).__name__})"
                )
                if not repeatable and not not_sent:
                    raise error from None
                failures += 1
                await self._retry.back_off(error, failures, started)
                continue
            status = response.status_code
            if status == 429:
                self._limiter.rate_limited(parse_retry_after(response))
                continue
            self._limiter.succeeded()
            if status >= 500 and repeatable:
                failures += 1
                await self._retry.back_off(
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
            try:
                return parse_json(response, label)
            except FortnoxAnswerNotJson as not_json:
                if not repeatable:
                    raise
                failures += 1
                await self._retry.back_off(not_json, failures, started)


def _options(method: str, token: str, accept: str) -> dict[str, Any]:
    """A request's headers, and for a write the transport's last check before it is sent."""
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    headers["Content-Type"] = "application/json"
    return {"headers": headers, "extensions": recheck_extensions(method)}
