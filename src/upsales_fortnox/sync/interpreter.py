"""The one interpreter of sync commands: :func:`apply` carries out what the pure decisions
returned, in order, on an effects target.

The target decides what an effect is: the writer (:mod:`.effects.writer`) writes to Upsales,
Fortnox and the link store; the recorder (:mod:`.effects.recorder`) records the writes and sends
nothing (the initial sync's preview). The inbound sync, the initial import and the preview all
go through :func:`apply`.

A write that creates or reads a record answers it; a recorder answers None, so what depends on
the answer (the link of a record created, the fingerprint of a Fortnox record) is left out:
a link is recorded only where both its ids are known without writing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, assert_never

from upsales_fortnox.domain.inbound.companies import customer_fingerprint
from upsales_fortnox.domain.outbound.added_rows import rows_kept
from upsales_fortnox.domain.sync_commands import (
    Command,
    CreateFortnoxCustomer,
    CreateFortnoxDocument,
    CreateUpsalesCompany,
    CreateUpsalesOrder,
    CreateUpsalesProduct,
    LinkFortnoxCustomer,
    LinkFortnoxDocument,
    LinkTarget,
    NoChange,
    RefuseDocumentChange,
    RemoveLink,
    SaveLink,
    UpdateFortnoxCustomer,
    UpdateFortnoxDocument,
    UpdateUpsalesCompany,
    UpdateUpsalesOrder,
    UpdateUpsalesProduct,
    WriteCustomerNumberToUpsales,
)
from upsales_fortnox.integrations.fortnox.errors import FortnoxMalformedResponse
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.fortnox.models import Invoice as FortnoxInvoice
from upsales_fortnox.integrations.fortnox.models import Order as FortnoxOrder
from upsales_fortnox.integrations.upsales.models import (
    Company,
    CompanyDraft,
    Order,
    OrderDraft,
    Product,
    ProductDraft,
    Record,
)
from upsales_fortnox.sync.outbound.fortnox_documents import DocumentLocked
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

FortnoxDocument = FortnoxInvoice | FortnoxOrder
"""A document the sync writes to Fortnox."""

_NO_CUSTOMER_NUMBER = "POST /customers: the new customer has no number"


class Effects(Protocol):
    """What carrying out commands does. Methods that create or read answer the record; None
    when nothing was created or read (a recorder)."""

    async def create_company(self, draft: CompanyDraft) -> Company | None: ...
    async def update_company(self, company_id: int, changes: CompanyDraft) -> None: ...
    async def create_product(self, draft: ProductDraft) -> Product | None: ...
    async def update_product(self, product_id: int, changes: ProductDraft) -> None: ...
    async def create_order(self, draft: OrderDraft) -> Order | None: ...
    async def update_order(self, order_id: int, changes: OrderDraft) -> None: ...
    async def write_customer_number(
        self, company_id: int, field_id: int, customer_number: str
    ) -> None: ...

    async def create_customer(self, customer: Customer) -> Customer | None: ...
    async def read_customer(self, customer_number: str) -> Customer | None: ...
    async def update_customer(self, customer_number: str, changes: Customer) -> Customer | None: ...
    async def create_document(self, command: CreateFortnoxDocument) -> FortnoxDocument | None: ...
    async def read_document(
        self, fortnox_type: FortnoxType, document_number: int
    ) -> FortnoxDocument | None: ...
    async def update_document(self, command: UpdateFortnoxDocument) -> FortnoxDocument | None: ...

    async def save_link(self, link: SaveLink) -> None: ...
    async def remove_link(self, fortnox_type: FortnoxType, fortnox_id: str) -> None: ...


@dataclass
class Applied:
    """What carrying out commands produced."""

    created: list[Record] = field(default_factory=list)
    """Upsales records created, in order."""
    fortnox: list[Customer | FortnoxDocument] = field(default_factory=list)
    """Fortnox records as Fortnox answered their writes (or as read, to link them)."""

    @property
    def created_ids(self) -> list[int]:
        return [record.id for record in self.created]


async def apply(commands: Iterable[Command], effects: Effects) -> Applied:
    """Carry out ``commands`` in order on ``effects``. A failing write stops there (what was
    done before stays done); :class:`RefuseDocumentChange` raises
    :class:`~upsales_fortnox.sync.outbound.fortnox_documents.DocumentLocked`."""
    applied = Applied()
    for command in commands:
        await _carry_out(command, effects, applied)
    return applied


async def _carry_out(command: Command, effects: Effects, applied: Applied) -> None:
    match command:
        case CreateUpsalesCompany():
            company = await effects.create_company(command.company)
            await _created(effects, applied, company, command.link)
        case CreateUpsalesOrder():
            order = await effects.create_order(command.order)
            await _created(effects, applied, order, command.link)
        case CreateUpsalesProduct():
            product = await effects.create_product(command.product)
            await _created(effects, applied, product, command.link)
        case UpdateUpsalesCompany():
            await effects.update_company(command.company_id, command.changes)
        case UpdateUpsalesOrder():
            await effects.update_order(command.order_id, command.changes)
        case UpdateUpsalesProduct():
            await effects.update_product(command.product_id, command.changes)
        case WriteCustomerNumberToUpsales():
            await effects.write_customer_number(
                command.upsales_company_id, command.field_id, command.customer_number
            )
        case SaveLink():
            await effects.save_link(command)
        case RemoveLink():
            await effects.remove_link(command.fortnox_type, command.fortnox_id)
        case CreateFortnoxCustomer():
            customer = await effects.create_customer(command.customer)
            if customer is not None:
                number = customer.CustomerNumber
                if not number:
                    raise FortnoxMalformedResponse(
                        "POST /customers: the new customer has no number"
                    )
                await _linked_customer(effects, applied, command, number, customer)
        case LinkFortnoxCustomer():
            customer = await effects.read_customer(command.customer_number)
            await _linked_customer(effects, applied, command, command.customer_number, customer)
        case UpdateFortnoxCustomer():
            if command.changes is not None:
                customer = await effects.update_customer(command.customer_number, command.changes)
            else:  # only the agreed fields change: the link takes the customer as it is
                customer = await effects.read_customer(command.customer_number)
            await _linked_customer(effects, applied, command, command.customer_number, customer)
        case CreateFortnoxDocument():
            document = await effects.create_document(command)
            if document is not None:
                number = str(document.DocumentNumber)
                await _linked_document(effects, applied, command, number, document)
        case LinkFortnoxDocument():
            document = await effects.read_document(command.fortnox_type, command.document_number)
            number = str(command.document_number)
            await _linked_document(effects, applied, command, number, document)
        case UpdateFortnoxDocument():
            document = await effects.update_document(command)
            number = str(command.document_number)
            await _linked_document(effects, applied, command, number, document)
        case RefuseDocumentChange():
            raise DocumentLocked(command.reason)
        case NoChange():
            pass
        case _:
            assert_never(command)


async def _created(
    effects: Effects, applied: Applied, record: Record | None, link: LinkTarget | None
) -> None:
    """Link an Upsales record just created; nothing when it was not (a recorder)."""
    if record is None:
        return
    applied.created.append(record)
    if link is not None:
        await effects.save_link(link.saved(record.id))


async def _linked_customer(
    effects: Effects,
    applied: Applied,
    command: CreateFortnoxCustomer | LinkFortnoxCustomer | UpdateFortnoxCustomer,
    number: str,
    customer: Customer | None,
) -> None:
    """Link the company to its Fortnox customer. The fingerprint is the Fortnox → Upsales
    sync's, so that sync knows our write when it comes back as an event."""
    if customer is not None:
        applied.fortnox.append(customer)
    link = SaveLink(
        LinkEntity.COMPANY,
        command.upsales_company_id,
        FortnoxType.CUSTOMER,
        number,
        customer_fingerprint(customer) if customer is not None else None,
        synced_fields=dict(command.synced_fields),
    )
    await effects.save_link(link)


async def _linked_document(
    effects: Effects,
    applied: Applied,
    command: CreateFortnoxDocument | LinkFortnoxDocument | UpdateFortnoxDocument,
    number: str,
    document: FortnoxDocument | None,
) -> None:
    """Link the won order to its document; the link keeps the rows' ids Fortnox answered (see
    :func:`~upsales_fortnox.domain.outbound.added_rows.rows_kept`: the bookkeeper's rows an
    update kept apart)."""
    kept: dict[str, Any] | None = None
    if document is not None:
        applied.fortnox.append(document)
        kept = rows_kept(document, command)
    link = SaveLink(
        LinkEntity.ORDER,
        command.upsales_order_id,
        command.fortnox_type,
        number,
        command.fingerprint,
        synced_fields=kept,
    )
    await effects.save_link(link)
