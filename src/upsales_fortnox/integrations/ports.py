"""What the sync needs from each external system, as protocols the clients satisfy.

Sync code is typed against :class:`FortnoxPort` and :class:`UpsalesPort`, never against the
concrete :class:`~.fortnox.client.FortnoxClient` and :class:`~.upsales.client.UpsalesClient`,
which only the application's wiring builds. A test or a benchmark may pass anything with these
methods.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from upsales_fortnox.integrations.fortnox.listing import ListPage
from upsales_fortnox.integrations.fortnox.models import (
    Article,
    Customer,
    Entity,
    Invoice,
    Offer,
    Order,
    Price,
    PriceList,
)
from upsales_fortnox.integrations.fortnox.payments import InvoicePayment
from upsales_fortnox.integrations.upsales import models as upsales
from upsales_fortnox.integrations.upsales.filters import Filter

E = TypeVar("E", bound=Entity)


class FortnoxPort(Protocol):
    """One Fortnox tenant, as the sync reads and writes it."""

    # Customers

    async def get_customer(self, customer_number: str) -> Customer: ...

    async def create_customer(self, customer: Customer) -> Customer: ...

    async def update_customer(self, customer_number: str, customer: Customer) -> Customer: ...

    def iter_customers(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Customer]: ...

    # Articles and prices

    async def get_article(self, article_number: str) -> Article: ...

    def iter_articles(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Article]: ...

    async def list_price_lists(self) -> list[PriceList]: ...

    async def article_prices(self, price_list: str, article_number: str) -> list[Price]: ...

    async def stock_balance(self, article_number: str) -> Any: ...

    # Orders, invoices, offers and payments

    async def get_order(self, document_number: int) -> Order: ...

    async def create_order(self, order: Order) -> Order: ...

    async def update_order(self, document_number: int, order: Order) -> Order: ...

    def iter_orders(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Order]: ...

    async def get_invoice(self, document_number: int) -> Invoice: ...

    async def create_invoice(self, invoice: Invoice) -> Invoice: ...

    async def update_invoice(self, document_number: int, invoice: Invoice) -> Invoice: ...

    def iter_invoices(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Invoice]: ...

    async def get_offer(self, document_number: int) -> Offer: ...

    async def create_order_from_offer(self, document_number: int) -> Order: ...

    def iter_offers(
        self,
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
        search: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Offer]: ...

    def iter_documents_between(
        self, model: type[E], first_day: date, last_day: date
    ) -> AsyncIterator[E]: ...

    async def get_invoice_payment(self, number: str) -> InvoicePayment: ...

    def iter_invoice_payments(
        self, invoice_number: int | None = None, *, last_modified: datetime | None = None
    ) -> AsyncIterator[InvoicePayment]: ...

    async def document_preview(self, collection: str, document_number: int) -> bytes: ...

    # Lists read whole, none of their entities missed when one moves (see fortnox.gapless)
    def iter_gapless(
        self,
        model: type[E],
        *,
        last_modified: datetime | None = None,
        filter: str | None = None,
    ) -> AsyncIterator[E]: ...

    async def list_page(
        self,
        model: type[E],
        page: int,
        *,
        sort_by: str | None = None,
        filter: str | None = None,
    ) -> ListPage[E]: ...


class UpsalesPort(Protocol):
    """One Upsales customer (API key), as the sync reads and writes it."""

    # Companies

    async def get_company(self, company_id: int) -> upsales.Company: ...

    async def create_company(self, company: upsales.CompanyDraft) -> upsales.Company: ...

    async def update_company(
        self, company_id: int, changes: upsales.CompanyDraft
    ) -> upsales.Company: ...

    def iterate_companies(
        self, *filters: Filter, page_size: int = ...
    ) -> AsyncIterator[upsales.Company]: ...

    # Orders

    async def get_order(self, order_id: int) -> upsales.Order: ...

    async def create_order(self, order: upsales.OrderDraft) -> upsales.Order: ...

    async def update_order(self, order_id: int, changes: upsales.OrderDraft) -> upsales.Order: ...

    def iterate_orders(
        self, *filters: Filter, page_size: int = ...
    ) -> AsyncIterator[upsales.Order]: ...

    async def list_order_stages(self) -> list[upsales.OrderStage]: ...

    async def list_currencies(self) -> list[upsales.Currency]: ...

    # Products

    async def get_product(
        self, product_id: int, *, use_price_lists: bool = ...
    ) -> upsales.Product: ...

    async def create_product(self, product: upsales.ProductDraft) -> upsales.Product: ...

    async def update_product(
        self, product_id: int, changes: upsales.ProductDraft, *, use_price_lists: bool = ...
    ) -> upsales.Product: ...

    async def find_product_by_article_no(self, article_no: str) -> upsales.Product | None: ...

    def iterate_products(
        self, *filters: Filter, page_size: int = ..., after_id: int | None = ...
    ) -> AsyncIterator[upsales.Product]: ...

    # Catalogues

    async def list_price_lists(self) -> list[upsales.PriceList]: ...

    async def list_users(self) -> list[upsales.User]: ...

    async def list_custom_fields(
        self, entity: upsales.CustomFieldEntity
    ) -> list[upsales.CustomField]: ...

    async def create_custom_field(
        self, entity: upsales.CustomFieldEntity, *, name: str, alias: str, datatype: str
    ) -> upsales.CustomField: ...
