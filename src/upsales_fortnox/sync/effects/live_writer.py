"""The effects target that writes: Upsales and Fortnox through their clients, links through a
:class:`~.link_sinks.LinkSink`."""

from __future__ import annotations

from upsales_fortnox.domain.outbound.company import clean, custom_value
from upsales_fortnox.domain.sync_commands import (
    CreateFortnoxDocument,
    SaveLink,
    UpdateFortnoxDocument,
)
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.ports import FortnoxPort, UpsalesPort
from upsales_fortnox.integrations.upsales.custom_values import with_custom_values
from upsales_fortnox.integrations.upsales.models import (
    Company,
    CompanyDraft,
    CustomValue,
    Order,
    OrderDraft,
    Product,
    ProductDraft,
)
from upsales_fortnox.sync.effects.link_sinks import LinkSink
from upsales_fortnox.sync.effects.order_currency import currency_told
from upsales_fortnox.sync.interpreter import FortnoxDocument
from upsales_fortnox.sync.outbound.fortnox_documents import (
    create_document,
    get_document,
    update_document,
)
from upsales_fortnox.vocabulary import FortnoxType


class Writer:
    """Carries effects out. Fortnox's refusal of a document update because the document
    locked meanwhile becomes ``DocumentLocked`` (see
    :func:`~upsales_fortnox.sync.outbound.fortnox_documents.update_document`)."""

    def __init__(self, upsales: UpsalesPort, fortnox: FortnoxPort, links: LinkSink) -> None:
        self.upsales = upsales
        self.fortnox = fortnox
        self.links = links

    # --- Upsales ------------------------------------------------------------------------------

    async def create_company(self, draft: CompanyDraft) -> Company:
        return await self.upsales.create_company(draft)

    async def update_company(self, company_id: int, changes: CompanyDraft) -> None:
        await self.upsales.update_company(company_id, changes)

    async def create_product(self, draft: ProductDraft) -> Product:
        return await self.upsales.create_product(draft)

    async def update_product(self, product_id: int, changes: ProductDraft) -> None:
        await self.upsales.update_product(product_id, changes)

    async def create_order(self, draft: OrderDraft) -> Order:
        async with currency_told(self.upsales, draft.currency):
            return await self.upsales.create_order(draft)

    async def update_order(self, order_id: int, changes: OrderDraft) -> None:
        async with currency_told(self.upsales, changes.currency):
            await self.upsales.update_order(order_id, changes)

    async def write_customer_number(
        self, company_id: int, field_id: int, customer_number: str
    ) -> None:
        """Set the company's customer-number field, unless it shows the number already (the
        company's other custom values are sent back as they are)."""
        company = await self.upsales.get_company(company_id)
        if clean(custom_value(company.custom, field_id)) == customer_number:
            return
        number = CustomValue(fieldId=field_id, value=customer_number)
        changes = CompanyDraft(custom=with_custom_values(company.custom, [number]))
        await self.upsales.update_company(company_id, changes)

    # --- Fortnox ------------------------------------------------------------------------------

    async def create_customer(self, customer: Customer) -> Customer:
        return await self.fortnox.create_customer(customer)

    async def read_customer(self, customer_number: str) -> Customer:
        return await self.fortnox.get_customer(customer_number)

    async def update_customer(self, customer_number: str, changes: Customer) -> Customer:
        return await self.fortnox.update_customer(customer_number, changes)

    async def create_document(self, command: CreateFortnoxDocument) -> FortnoxDocument:
        return await create_document(self.fortnox, command)

    async def read_document(
        self, fortnox_type: FortnoxType, document_number: int
    ) -> FortnoxDocument:
        return await get_document(self.fortnox, fortnox_type, document_number)

    async def update_document(self, command: UpdateFortnoxDocument) -> FortnoxDocument:
        return await update_document(self.fortnox, command)

    # --- links --------------------------------------------------------------------------------

    async def save_link(self, link: SaveLink) -> None:
        await self.links.save(link)

    async def remove_link(self, fortnox_type: FortnoxType, fortnox_id: str) -> None:
        await self.links.remove(fortnox_type, fortnox_id)
