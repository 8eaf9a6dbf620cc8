"""Async client of the Upsales REST API v2 for one API key (one Upsales customer).

Every request is paced by the API key's limiter (a :class:`~.pacing.SlidingWindowLimiter`: in
flight until answered; a pause past the time budget is not waited out), unwrapped from Upsales'
envelope (:mod:`.envelope`) and parsed into the wire models. Rate limits (429), server errors
(5xx) and network failures are retried within a :class:`~.retry.RetryPolicy` (Upsales' numbers:
:mod:`.request_rules`); what still fails is raised as one of the typed errors in :mod:`.errors`.

A create (POST) is retried only when Upsales surely did not act on it (429, or no connection):
after a 5xx or a read timeout the record may exist, so the error goes to the caller, whose job
looks the record up before creating it again.

Full exports page by id (``sort=id&id=gt:<last id>``, 2000 a page): offset paging may miss rows.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from upsales_fortnox.integrations.jsonwire import UPSALES_JSON
from upsales_fortnox.integrations.pacing import SlidingWindowLimiter
from upsales_fortnox.integrations.retry import RetryPolicy
from upsales_fortnox.integrations.send_check import before_sending, recheck_extensions
from upsales_fortnox.integrations.step_aside import waiting_outside
from upsales_fortnox.integrations.upsales import request_rules
from upsales_fortnox.integrations.upsales.envelope import Envelope, json_or_none, unwrap
from upsales_fortnox.integrations.upsales.errors import (
    UpsalesError,
    UpsalesNetworkError,
    UpsalesPagesOutOfOrder,
    UpsalesRateLimited,
    UpsalesServerError,
    UpsalesUnexpectedData,
    error_from_response,
    place_within_budget,
)
from upsales_fortnox.integrations.upsales.filters import Filter, eq, to_params
from upsales_fortnox.integrations.upsales.models import (
    Company,
    CompanyDraft,
    Currency,
    CustomField,
    CustomFieldEntity,
    Order,
    OrderDraft,
    OrderStage,
    PriceList,
    Product,
    ProductDraft,
    Record,
    SelfUser,
    User,
    WireModel,
)
from upsales_fortnox.integrations.upsales.redaction import install_httpx_log_redaction, redact

logger = logging.getLogger(__name__)

AuthMode = Literal["query", "cookie"]
MAX_PAGE_SIZE = 2000
"""Upsales' largest ``limit`` (reference §1)."""

Params = Sequence[tuple[str, str | int]]
M = TypeVar("M", bound=WireModel)
R = TypeVar("R", bound=Record)

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport failures after which the request surely never reached Upsales."""


class UpsalesClient:
    """Upsales API client. ``call_counts`` counts HTTP requests sent, keyed by method and path
    template (``"GET /accounts/{id}"``), retries included."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        api_token: str,
        limiter: SlidingWindowLimiter | None = None,
        retry: RetryPolicy | None = None,
        auth_mode: AuthMode = "query",
    ) -> None:
        if not api_token:
            raise ValueError("api_token is empty")
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._token = api_token
        self._auth_mode = auth_mode
        self.limiter = (
            limiter
            if limiter is not None
            else SlidingWindowLimiter(request_rules.RATE_LIMIT, request_rules.RATE_WINDOW_SECONDS)
        )
        self.retry = retry if retry is not None else request_rules.RETRY
        self.call_counts: Counter[str] = Counter()
        install_httpx_log_redaction()

    def __repr__(self) -> str:
        return f"UpsalesClient(base_url={self._base_url!r}, auth_mode={self._auth_mode!r})"

    # --- companies (accounts) -----------------------------------------------------------------

    async def get_company(self, company_id: int) -> Company:
        return await self._get("/accounts/{id}", Company, id=company_id)

    async def create_company(self, company: CompanyDraft) -> Company:
        return await self._write("POST", "/accounts", Company, company)

    async def update_company(self, company_id: int, changes: CompanyDraft) -> Company:
        """Partial update: only the fields set on ``changes`` are sent."""
        return await self._write("PUT", "/accounts/{id}", Company, changes, id=company_id)

    def iterate_companies(
        self, *filters: Filter, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[Company]:
        """Every matching company, by ascending id. Add ``eq("isExternal", False)`` to skip
        companies Upsales created from website visits."""
        return self._export("/accounts", Company, filters, page_size)

    # --- orders and opportunities -------------------------------------------------------------

    async def get_order(self, order_id: int) -> Order:
        return await self._get("/orders/{id}", Order, id=order_id)

    async def create_order(self, order: OrderDraft) -> Order:
        return await self._write("POST", "/orders", Order, order)

    async def update_order(self, order_id: int, changes: OrderDraft) -> Order:
        """Partial update: only the fields set on ``changes`` are sent."""
        return await self._write("PUT", "/orders/{id}", Order, changes, id=order_id)

    def iterate_orders(
        self, *filters: Filter, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[Order]:
        """E.g. ``iterate_orders(eq("probability", 100), eq("client.id", 12))``."""
        return self._export("/orders", Order, filters, page_size)

    async def list_order_stages(self) -> list[OrderStage]:
        return await self._list("/orderstages", OrderStage)

    # --- products -----------------------------------------------------------------------------

    async def get_product(self, product_id: int, *, use_price_lists: bool = False) -> Product:
        """``use_price_lists``: every price list's prices, each with its ``priceListId``."""
        params = _price_lists(use_price_lists)
        return await self._get("/products/{id}", Product, params, id=product_id)

    async def create_product(self, product: ProductDraft) -> Product:
        return await self._write("POST", "/products", Product, product)

    async def update_product(
        self, product_id: int, changes: ProductDraft, *, use_price_lists: bool = False
    ) -> Product:
        """Partial update: only the fields set on ``changes`` are sent. ``use_price_lists``:
        ``currencies`` name their price list and replace every list's prices (PM Products)."""
        params = _price_lists(use_price_lists)
        return await self._write("PUT", "/products/{id}", Product, changes, params, id=product_id)

    async def find_product_by_article_no(self, article_no: str) -> Product | None:
        """The product with this article number (unique in Upsales), else the one product whose
        number differs only in letter case (:data:`.facts.ARTICLE_NUMBER_FILTER_FOLDS_CASE`),
        or None."""
        wanted = article_no.strip()
        in_other_case: list[Product] = []
        async for product in self.iterate_products(eq("articleNo", wanted)):
            number = (product.articleNo or "").strip()
            if number == wanted:
                return product
            if number.casefold() == wanted.casefold():
                in_other_case.append(product)
        return in_other_case[0] if len(in_other_case) == 1 else None

    def iterate_products(
        self, *filters: Filter, page_size: int = MAX_PAGE_SIZE, after_id: int | None = None
    ) -> AsyncIterator[Product]:
        """By id; with ``after_id``, from the first product after it."""
        return self._export("/products", Product, filters, page_size, after_id)

    # --- catalogues and identity --------------------------------------------------------------

    async def list_price_lists(self) -> list[PriceList]:
        return await self._list("/priceLists", PriceList)

    async def list_users(self) -> list[User]:
        return await self._list("/users", User)

    async def list_currencies(self) -> list[Currency]:
        return await self._list("/currencies", Currency)

    async def list_custom_fields(self, entity: CustomFieldEntity) -> list[CustomField]:
        return await self._list("/customfields/{entity}", CustomField, entity=entity)

    async def create_custom_field(
        self, entity: CustomFieldEntity, *, name: str, alias: str, datatype: str
    ) -> CustomField:
        """``POST /customfields/{entity}``: a new custom field (``datatype`` e.g. ``String``)."""
        body = {"name": name, "alias": alias, "datatype": datatype}
        envelope = await self._request(
            "POST", "/customfields/{entity}", {"entity": entity}, body=body
        )
        return self._parse(CustomField, envelope.data, "POST /customfields/{entity}")

    async def find_custom_field_id(self, entity: CustomFieldEntity, alias: str) -> int | None:
        """The id of ``entity``'s custom field with this alias (case-insensitive), or None.
        Field ids differ per Upsales customer; aliases are what configuration should name."""
        wanted = alias.strip().casefold()
        for field in await self.list_custom_fields(entity):
            if (field.alias or "").strip().casefold() == wanted:
                return field.id
        return None

    async def get_self(self) -> SelfUser:
        """The API key's user and, in ``client``, the Upsales customer it belongs to."""
        return await self._get("/self", SelfUser)

    # --- request plumbing ---------------------------------------------------------------------

    async def _get(
        self, template: str, model: type[M], params: Params = (), **path: int | str
    ) -> M:
        envelope = await self._request("GET", template, path, params=params)
        return self._parse(model, envelope.data, f"GET {template}")

    async def _write(
        self,
        method: str,
        template: str,
        model: type[M],
        draft: WireModel,
        params: Params = (),
        **path: int | str,
    ) -> M:
        envelope = await self._request(method, template, path, params=params, body=draft.to_wire())
        return self._parse(model, envelope.data, f"{method} {template}")

    async def _list(self, template: str, model: type[M], **path: int | str) -> list[M]:
        """A list that fits one page (stages, users, price lists, custom fields)."""
        where = f"GET {template}"
        envelope = await self._request("GET", template, path, params=[("limit", MAX_PAGE_SIZE)])
        rows = self._rows(envelope, where)
        total = (envelope.metadata or {}).get("total")
        if isinstance(total, int) and total > len(rows):
            logger.warning("Upsales %s returned %d of %d rows", where, len(rows), total)
        return [self._parse(model, row, where) for row in rows]

    async def _export(
        self,
        template: str,
        model: type[R],
        filters: Iterable[Filter],
        page_size: int,
        after_id: int | None = None,
    ) -> AsyncIterator[R]:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        where = f"GET {template}"
        params: Params = [("sort", "id"), ("limit", page_size), *to_params(filters)]
        last_id = after_id
        while True:
            page_params = params if last_id is None else [*params, ("id", f"gt:{last_id}")]
            envelope = await self._request("GET", template, {}, params=page_params)
            rows = [self._parse(model, row, where) for row in self._rows(envelope, where)]
            for row in rows:
                if last_id is not None and row.id <= last_id:
                    raise UpsalesPagesOutOfOrder(
                        f"Upsales {where} returned ids out of order ({row.id} after {last_id})"
                    )
                last_id = row.id
                yield row
            total = (envelope.metadata or {}).get("total")
            more = len(rows) < total if isinstance(total, int) else len(rows) >= page_size
            if not rows or not more:
                return

    async def _request(
        self,
        method: str,
        template: str,
        path: dict[str, int | str],
        *,
        params: Params = (),
        body: Any = None,
    ) -> Envelope:
        where = f"{method} {template}"
        url = self._base_url + template.format(
            **{name: quote(str(value), safe="") for name, value in path.items()}
        )
        query = list(params)
        headers = {"Accept": "application/json"}
        if self._auth_mode == "query":
            query.append(("token", self._token))
        else:
            headers["Cookie"] = f"token={self._token}"
        content = None
        if body is not None:
            content = UPSALES_JSON.dumps(body)
            headers["Content-Type"] = "application/json"

        started = self.retry.clock()
        attempt = 0
        while True:
            attempt += 1
            error: UpsalesError
            try:
                async with place_within_budget(self.limiter, self.retry, started, where):
                    if method != "GET":
                        before_sending()  # a job whose lease ended meanwhile writes nothing
                    self.call_counts[where] += 1
                    async with waiting_outside():
                        response = await self._http.request(
                            method,
                            url,
                            params=tuple(query),
                            content=content,
                            headers=headers,
                            extensions=recheck_extensions(method),
                        )
            except httpx.TransportError as exc:
                error = UpsalesNetworkError(
                    f"Upsales {where} failed: {type(exc).__name__}: "
                    + redact(str(exc), self._token)
                )
                retry = method != "POST" or isinstance(exc, _NOT_SENT)
            else:
                request_rules.observe(self.limiter, response.headers)
                if response.is_success:
                    return unwrap(response, where, secrets=(self._token,))
                error = error_from_response(
                    response.status_code,
                    json_or_none(response.content),
                    response.headers,
                    where,
                    secrets=(self._token,),
                )
                retry = isinstance(error, UpsalesRateLimited) or (
                    isinstance(error, UpsalesServerError) and method != "POST"
                )
            if not retry:
                raise error
            retry_after = getattr(error, "retry_after", None)
            delay = self.retry.delay(attempt, retry_after)
            if isinstance(error, UpsalesRateLimited):
                self.limiter.pause(delay)  # hold back every request on this key, not just ours
            if self.retry.gives_up(attempt, started, delay):
                raise error
            logger.warning(
                "%s; attempt %d of %s, retrying in %.2fs",
                error.message,
                attempt,
                self.retry.max_attempts,
                delay,
            )
            await self.retry.wait(delay)

    @staticmethod
    def _rows(envelope: Envelope, where: str) -> list[Any]:
        if not isinstance(envelope.data, list):
            raise UpsalesUnexpectedData(f"Upsales {where}: expected a list in data")
        return envelope.data

    @staticmethod
    def _parse(model: type[M], data: Any, where: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            location = ".".join(str(part) for part in first["loc"]) or "data"
            raise UpsalesUnexpectedData(
                f"Upsales {where}: reply does not fit {model.__name__} "
                f"({exc.error_count()} problem(s); {location}: {first['msg']})"
            ) from None


def _price_lists(use: bool) -> Params:
    """``usePriceLists=true``, sent on every product request that reads or writes every price
    list's prices (PM Products, "With price lists")."""
    return [("usePriceLists", "true")] if use else []
