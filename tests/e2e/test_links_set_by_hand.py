"""A link an operator sets by hand names two records that exist: a mistyped number is refused
(nothing stored), where it was taken and the sync then skipped the company's changes as if its
Fortnox customer had been deleted."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import fortnox_call
from upsales_fortnox.models.installation import Installation


async def _post_link(harness: SyncHarness, **body: Any) -> Any:
    return await harness.service.post(
        f"/api/installations/{harness.installation_id}/links",
        json=body,
        headers=harness.admin_headers,
    )


async def _links(harness: SyncHarness) -> int:
    listed = await harness.service.get(
        f"/api/installations/{harness.installation_id}/links", headers=harness.admin_headers
    )
    return int(listed.json()["total"])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"fortnox_type": "customer", "fortnox_id": "98765"}, "fortnox_record_not_found"),
        ({"upsales_id": 987654, "fortnox_type": "customer"}, "upsales_record_not_found"),
    ],
)
async def test_a_link_to_a_record_that_is_not_there_is_refused(
    harness: SyncHarness, body: dict[str, Any], code: str
) -> None:
    created = await fortnox_call(
        harness, "POST", "/customers", {"Customer": {"Name": "Handlänkad AB"}}
    )
    company = harness.upsales.create_entity(
        harness.demo.customer_id, "accounts", {"name": "Handlänkad AB"}, fire_hooks=False
    )
    before = await _links(harness)
    wanted = {
        "entity": "company",
        "upsales_id": company["id"],
        "fortnox_id": created["Customer"]["CustomerNumber"],
        **body,
    }
    refused = await _post_link(harness, **wanted)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == code
    assert await _links(harness) == before

    made = await _post_link(
        harness,
        entity="company",
        upsales_id=company["id"],
        fortnox_type="customer",
        fortnox_id=created["Customer"]["CustomerNumber"],
    )
    assert made.status_code == 201, made.text
    assert await _links(harness) == before + 1


async def test_a_link_to_a_document_number_not_in_fortnox_is_refused(harness: SyncHarness) -> None:
    refused = await _post_link(
        harness,
        entity="order",
        upsales_id=harness.demo.opportunity_id,
        fortnox_type="invoice",
        fortnox_id="4242",
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "fortnox_record_not_found"


async def test_a_link_that_cannot_be_checked_is_stored_as_given(harness: SyncHarness) -> None:
    """Its Upsales key gone: the records cannot be read, and the link, a repair, is stored."""
    async with harness.services.session_factory() as session:
        await session.execute(
            update(Installation).values(
                upsales_api_token_enc=None, version=Installation.version + 1
            )
        )
        await session.commit()
    made = await _post_link(
        harness,
        entity="order",
        upsales_id=harness.demo.opportunity_id,
        fortnox_type="invoice",
        fortnox_id="4242",
    )
    assert made.status_code == 201, made.text
