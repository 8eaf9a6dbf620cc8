"""The effects target that sends nothing: it records each write it is asked for (the initial
sync's preview runs the import on one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from upsales_fortnox.domain.sync_commands import (
    CreateFortnoxDocument,
    SaveLink,
    UpdateFortnoxDocument,
)
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.upsales.models import (
    Company,
    CompanyDraft,
    Order,
    OrderDraft,
    Product,
    ProductDraft,
)
from upsales_fortnox.sync.interpreter import FortnoxDocument
from upsales_fortnox.vocabulary import FortnoxType


@dataclass(frozen=True)
class Recorded:
    """One write asked for: the effect's name and its arguments."""

    effect: str
    arguments: tuple[Any, ...]


class Recorder:
    """Records writes in :attr:`writes`, in order; creates nothing and reads nothing, so
    creates and reads answer None."""

    def __init__(self) -> None:
        self.writes: list[Recorded] = []

    def _record(self, effect: str, *arguments: Any) -> None:
        self.writes.append(Recorded(effect, arguments))

    # --- Upsales ------------------------------------------------------------------------------

    async def create_company(self, draft: CompanyDraft) -> Company | None:
        self._record("create_company", draft)
        return None

    async def update_company(self, company_id: int, changes: CompanyDraft) -> None:
        self._record("update_company", company_id, changes)

    async def create_product(self, draft: ProductDraft) -> Product | None:
        self._record("create_product", draft)
        return None

    async def update_product(self, product_id: int, changes: ProductDraft) -> None:
        self._record("update_product", product_id, changes)

    async def create_order(self, draft: OrderDraft) -> Order | None:
        self._record("create_order", draft)
        return None

    async def update_order(self, order_id: int, changes: OrderDraft) -> None:
        self._record("update_order", order_id, changes)

    async def write_customer_number(
        self, company_id: int, field_id: int, customer_number: str
    ) -> None:
        self._record("write_customer_number", company_id, field_id, customer_number)

    # --- Fortnox ------------------------------------------------------------------------------

    async def create_customer(self, customer: Customer) -> Customer | None:
        self._record("create_customer", customer)
        return None

    async def read_customer(self, customer_number: str) -> Customer | None:
        return None

    async def update_customer(self, customer_number: str, changes: Customer) -> Customer | None:
        self._record("update_customer", customer_number, changes)
        return None

    async def create_document(self, command: CreateFortnoxDocument) -> FortnoxDocument | None:
        self._record("create_document", command.fortnox_type, command.document)
        return None

    async def read_document(
        self, fortnox_type: FortnoxType, document_number: int
    ) -> FortnoxDocument | None:
        return None

    async def update_document(self, command: UpdateFortnoxDocument) -> FortnoxDocument | None:
        self._record(
            "update_document", command.fortnox_type, command.document_number, command.document
        )
        return None

    # --- links --------------------------------------------------------------------------------

    async def save_link(self, link: SaveLink) -> None:
        self._record("save_link", link)

    async def remove_link(self, fortnox_type: FortnoxType, fortnox_id: str) -> None:
        self._record("remove_link", fortnox_type, fortnox_id)
