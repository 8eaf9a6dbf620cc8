"""The customer a won deal's document is made out to (shell): an update that makes the document
out to it carries its header (:mod:`~upsales_fortnox.domain.outbound.customer_header`)."""

from __future__ import annotations

from dataclasses import dataclass

from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.customer_header import (
    customer_before,
    made_out_to,
    moves_customer,
)
from upsales_fortnox.domain.outbound.document_body import DocumentDraft, FortnoxDocument
from upsales_fortnox.domain.outbound.document_decision import (
    DocumentDecision,
    decide_document,
)
from upsales_fortnox.domain.sync_commands import UpdateFortnoxDocument
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.ports import FortnoxPort


@dataclass
class DocumentCustomer:
    """The deal's customer: its number, and its Fortnox record when the run has it already
    (its create's answer, or the matched customer read whole). The record is read only for an
    update that makes the document out to this customer, and at most once."""

    fortnox: FortnoxPort
    number: str
    record: Customer | None = None

    async def decide(
        self, draft: DocumentDraft, link: LinkView | None, existing: FortnoxDocument | None
    ) -> DocumentDecision:
        """:func:`~upsales_fortnox.domain.outbound.document_decision.decide_document`; an
        update that makes the document out to this customer carries the customer's header."""
        decision = decide_document(draft, link, existing)
        if not isinstance(decision, UpdateFortnoxDocument):
            return decision
        before = customer_before(link, existing)
        if not moves_customer(decision, before, record_at_hand=self.record is not None):
            return decision
        if self.record is None:
            self.record = await self.fortnox.get_customer(self.number)
        return made_out_to(decision, self.record)
