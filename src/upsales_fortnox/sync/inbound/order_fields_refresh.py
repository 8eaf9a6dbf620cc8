"""Bringing every linked order's payment status and document link up to date once a setting
asks for them (``paymentStatus`` or ``documentLinks`` turned on): the invoice, payment and deal
syncs write those fields only as a document changes, so deals linked before saw none.

The settings API calls :func:`enqueue_order_fields_refresh` in the transaction that saves such a
change (:func:`~upsales_fortnox.domain.sync_settings.order_fields_turned_on`); the job's
``entity_id`` names the settings turned on, so one save queues one job. The
``refresh_order_fields`` job goes through the Upsales orders linked to a Fortnox document, a
page of :data:`PAGE_SIZE` at a time from the links table, and writes each order's fields as its
document's own sync would, reading the settings as it runs (one turned off meanwhile is left
out; with both off it writes nothing). Progress is checkpointed after every page, and a job
interrupted resumes after the last order of the page it finished.

Calls, for the linked orders (``M`` of them with an invoice):

* ``documentLinks``: no Fortnox call (a link is signed here, not read); an order's link opens
  the document its deal is sent as (:func:`~upsales_fortnox.domain.order_fields.shown_document`).
* ``paymentStatus``: per linked invoice one read of the invoice, one more of the credit
  invoice it names if any, and one list of its payments only when something was booked against
  it (``Balance`` is not ``Total``), plus one per payment with write-offs or in a currency other
  than SEK (:func:`~upsales_fortnox.sync.money.invoice_money.read_payment_state`): M calls for
  invoices nobody paid, about 2M for paid ones; for an invoice made of a deal's order, one list
  of the invoices carrying the deal's reference, and the same for each other one it lists (a
  deal invoiced in parts, :mod:`~upsales_fortnox.sync.money.deal_parts`), and one read of each
  earlier invoice of a deal won again that lives again beside it (with its credit and payments,
  :mod:`~upsales_fortnox.sync.money.earlier_money`; none for a deal without one). The list of all
  invoices is not used: its item
  (``fortnox_InvoiceListItem``) names no credit invoice, and a credit need not lower the
  balance of the invoice it credits
  (:data:`upsales_fortnox.integrations.fortnox.money_facts.CREDIT_LOWERS_CREDITED_BALANCE`), so no
  list item settles a status, and its pages would cost one call per 500 of the company's
  invoices on top.
* Upsales: one read per order and one write per order whose fields change, the same read and
  write for both settings; the payment fields are created once when missing.

Fortnox and Upsales calls go through the installation's clients, paced by its budgets.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Collection
from typing import Any, Final

from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.domain.order_fields import refresh_entity, refresh_settings, shown_document
from upsales_fortnox.domain.payment_status import PaymentState
from upsales_fortnox.domain.sync_settings import DOCUMENT_LINKS, PAYMENT_STATUS, order_fields_on
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.errors import CODE_NO_ACCESS_TO_SCOPE, FortnoxAuthError
from upsales_fortnox.integrations.upsales.models import CustomValue
from upsales_fortnox.jobs import Enqueued, JobContext, enqueue
from upsales_fortnox.links.repository.link_reads import OrderDocuments, order_documents_page
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.initial.import_outcomes import RUN_ENDING
from upsales_fortnox.sync.money.fields import payment_field_ids, payment_values
from upsales_fortnox.sync.money.invoice_money import fortnox_today, read_payment_state
from upsales_fortnox.sync.order_values import ORDER_MISSING, UNCHANGED, WRITTEN, write_order_values
from upsales_fortnox.sync.results.order_refresh import OrderFieldsRefreshResult
from upsales_fortnox.vocabulary import FortnoxType, JobKind

log = logging.getLogger(__name__)

PAGE_SIZE: Final = 100
"""Linked orders between two checkpoints."""
CONCURRENCY: Final = 4
"""Orders of a page worked on at once (the clients pace their calls)."""
FAILED: Final = "failed"
NOTHING: Final = "nothing"
"""An order given no value (no invoice read, no link made): nothing written."""


async def enqueue_order_fields_refresh(
    session: DbSession, installation_id: uuid.UUID, settings: Collection[str]
) -> Enqueued:
    """Queue the refresh of the linked orders' fields of ``settings`` (in the caller's
    transaction)."""
    return await enqueue(
        session,
        installation_id=installation_id,
        kind=JobKind.REFRESH_ORDER_FIELDS,
        entity_id=refresh_entity(settings),
    )


class _Tally:
    """The counts of a run, kept in the checkpoint."""

    def __init__(self, saved: dict[str, Any]) -> None:
        self.orders: dict[str, int] = {k: int(v) for k, v in dict(saved.get("orders", {})).items()}
        self.statuses: dict[str, int] = {
            k: int(v) for k, v in dict(saved.get("statuses", {})).items()
        }
        self.invoices_missing = int(saved.get("invoices_missing", 0))
        self.scope_missing = bool(saved.get("scope_missing", False))
        self.no_url_field = bool(saved.get("no_url_field", False))

    def count(self, outcome: str) -> None:
        self.orders[outcome] = self.orders.get(outcome, 0) + 1

    def shown(self, state: PaymentState) -> None:
        status = state.status.value
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def saved(self) -> dict[str, Any]:
        return {
            "orders": self.orders,
            "statuses": self.statuses,
            "invoices_missing": self.invoices_missing,
            "scope_missing": self.scope_missing,
            "no_url_field": self.no_url_field,
        }

    def result(self, settings: tuple[str, ...]) -> OrderFieldsRefreshResult:
        return OrderFieldsRefreshResult(
            settings,
            checked=sum(self.orders.values()),
            written=self.orders.get(WRITTEN, 0),
            unchanged=self.orders.get(UNCHANGED, 0),
            orders_missing=self.orders.get(ORDER_MISSING, 0),
            failed=self.orders.get(FAILED, 0),
            invoices_missing=self.invoices_missing,
            statuses=dict(self.statuses),
            payment_scope_missing=self.scope_missing,
            no_document_url_field=self.no_url_field,
        )


async def refresh_order_fields(job: InboundJob, ctx: JobContext) -> OrderFieldsRefreshResult:
    wanted = refresh_settings(ctx.entity_id) & order_fields_on(job.context.settings)
    if not wanted:
        return OrderFieldsRefreshResult()
    settings = tuple(sorted(wanted))
    key = refresh_entity(settings)
    resumed = ctx.payload.get("settings") == key
    after = int(ctx.payload.get("after_order", 0)) if resumed else 0
    tally = _Tally(dict(ctx.payload.get("tally") or {}) if resumed else {})
    refresher = _Refresher(job, wanted, tally, fortnox_today())
    while True:
        page = await order_documents_page(
            job.session_factory, job.installation_id, after_order=after, limit=PAGE_SIZE
        )
        if not page:
            break
        await refresher.refresh_page(page)
        after = page[-1].order_id
        await ctx.checkpoint({"settings": key, "after_order": after, "tally": tally.saved()})
        if len(page) < PAGE_SIZE:
            break
    return tally.result(settings)


class _Refresher:
    def __init__(
        self, job: InboundJob, settings: frozenset[str], tally: _Tally, today: dt.date
    ) -> None:
        self._job = job
        self._settings = settings
        self._tally = tally
        self._today = today

    async def refresh_page(self, page: list[OrderDocuments]) -> None:
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def one(order: OrderDocuments) -> None:
            async with semaphore:
                self._tally.count(await self._refresh(order))

        await asyncio.gather(*(one(order) for order in page))

    async def _refresh(self, order: OrderDocuments) -> str:
        """One order's fields written; its outcome."""
        try:
            values = await self._payment_values(order) + await self._link_values(order)
            if not values:
                return NOTHING
            return await write_order_values(self._job.context.upsales, order.order_id, values)
        except RUN_ENDING:
            raise
        except PermanentError as exc:
            log.warning(
                "order %s not refreshed: %s",
                order.order_id,
                exc.code,
                extra={"installation_id": self._job.installation_id},
            )
            return FAILED

    async def _payment_values(self, order: OrderDocuments) -> list[CustomValue]:
        number = order.documents.get(FortnoxType.INVOICE)
        if PAYMENT_STATUS not in self._settings or number is None or self._tally.scope_missing:
            return []
        try:
            state = await read_payment_state(self._job, number, order.order_id, today=self._today)
        except FortnoxAuthError as exc:
            if exc.fortnox_code != CODE_NO_ACCESS_TO_SCOPE:
                raise
            self._tally.scope_missing = True  # every invoice with payments would be refused
            return []
        if state is None:
            self._tally.invoices_missing += 1
            return []
        self._tally.shown(state)
        return payment_values(state, await payment_field_ids(self._job))

    async def _link_values(self, order: OrderDocuments) -> list[CustomValue]:
        if DOCUMENT_LINKS not in self._settings:
            return []
        shown = shown_document(order.documents, self._job.context.settings.sync_type)
        if shown is None:
            return []
        value = await self._job.document_url_value(*shown)
        if value is None:
            self._tally.no_url_field = True
            return []
        return [value]
