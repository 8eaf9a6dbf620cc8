"""A bookkeeper's edit made in Fortnox while the sync is sending an Upsales edit to the same
customer (between its read of the customer and its write) still reaches Upsales."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import link_of, settle
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.vocabulary import FortnoxType


async def test_a_fortnox_edit_made_while_an_upsales_edit_is_sent_reaches_upsales(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.connect_upsales_hooks()
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "7", "Name": "Ek AB", "Phone1": "08-1"}],
    )
    await settle(harness)
    link = await link_of(harness, FortnoxType.CUSTOMER, "7")
    assert link is not None

    send = FortnoxClient.update_customer
    edits: list[str] = []

    async def bookkeeper_edits_first(
        self: FortnoxClient, number: str, customer: Customer
    ) -> Customer:
        if not edits:  # the bookkeeper's save lands between the sync's read and its write
            edits.append(number)
            await send(self, number, Customer(Phone1="08-2"))
        return await send(self, number, customer)

    monkeypatch.setattr(FortnoxClient, "update_customer", bookkeeper_edits_first)
    renamed: dict[str, Any] = {"name": "Ek & Björk AB"}
    harness.upsales.update_entity(
        harness.demo.customer_id,
        "accounts",
        link.upsales_id,
        renamed,
        user_id=harness.demo.sales_rep_user_ids[0],
    )

    await settle(harness)

    assert edits == ["7"]
    company = harness.upsales_entity("accounts", link.upsales_id)
    customer = harness.fortnox_entity("customers", "7")
    assert company is not None and customer is not None
    assert (customer["Name"], customer["Phone1"]) == ("Ek & Björk AB", "08-2"), customer
    assert (company["name"], company["phone"]) == ("Ek & Björk AB", "08-2"), company
