"""References that Upsales may send as a bare id or as an object (``client``, ``user``,
``stage``, ``product``, ``contact``; reference upsales.md §7), through the webhook endpoint
and the jobs it queues: both forms are read alike in every hook."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import (
    fortnox_list,
    jobs_of,
    link_demo_products,
    mark_initial_sync_done,
    run_now,
    win,
)
from ufs_sandboxes.upsales.jsonio import encode_json
from upsales_fortnox.core.texts import say
from upsales_fortnox.vocabulary import JobStatus

FORMS = ["object", "bare"]
_REFERENCES = ("client", "user", "stage", "contact", "product", "regBy", "modBy")


def bare_references(entity: Any) -> Any:
    """``entity`` with every reference object (``{"id": n, ...}`` under a reference name, and
    ``users[]``) replaced by its bare id."""
    if isinstance(entity, list):
        return [bare_references(item) for item in entity]
    if not isinstance(entity, dict):
        return entity
    out: dict[str, Any] = {}
    for key, value in entity.items():
        if key in _REFERENCES and isinstance(value, dict) and "id" in value:
            out[key] = value["id"]
        elif key == "users" and isinstance(value, list):
            out[key] = [item["id"] if isinstance(item, dict) else item for item in value]
        else:
            out[key] = bare_references(value)
    return out


def in_form(entity: dict[str, Any], form: str) -> dict[str, Any]:
    return bare_references(entity) if form == "bare" else copy.deepcopy(entity)


async def post_hook(
    harness: SyncHarness, hook_type: str, data: dict[str, Any], *, user: Any = None
) -> Any:
    body: dict[str, Any] = {"type": hook_type, "apiKey": harness.demo.api_key, "data": data}
    if user is not None:
        body["user"] = user
    return await harness.service.post(
        f"/webhooks/upsales/{harness.installation_id}",
        content=encode_json(body),  # the sandbox's records hold Decimal amounts
        headers={"Content-Type": "application/json"},
    )


def won_order(harness: SyncHarness, **changes: Any) -> dict[str, Any]:
    order = dict(harness.upsales_entity("orders", harness.demo.opportunity_id) or {})
    order.update({"probability": 100, "stage": {"id": harness.demo.stage_won_id}, **changes})
    order["contact"] = {"id": 1, "name": "Anna"}
    return order


def test_the_bare_form_has_no_reference_objects_left(harness: SyncHarness) -> None:
    bare = bare_references(won_order(harness))
    assert isinstance(bare["client"], int) and isinstance(bare["user"], int)
    assert isinstance(bare["stage"], int) and isinstance(bare["contact"], int)
    assert all(isinstance(row["product"], int) for row in bare["orderRow"])


@pytest.mark.parametrize("form", FORMS)
async def test_before_order_save_refuses_unlinked_products_in_either_form(
    harness: SyncHarness, form: str
) -> None:
    await mark_initial_sync_done(harness.services.session_factory, harness.installation_id)
    response = await post_hook(
        harness, "before_order_save", {"obj": in_form(won_order(harness), form)}
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "order_not_sendable"
    assert response.json()["message"].count("finns inte som artikel i Fortnox") == 2


@pytest.mark.parametrize("form", FORMS)
async def test_before_order_save_refuses_a_company_without_name_in_either_form(
    harness: SyncHarness, form: str
) -> None:
    await link_demo_products(harness)
    order = won_order(harness, client={"id": 99, "name": " "})
    response = await post_hook(harness, "before_order_save", {"obj": in_form(order, form)})
    if form == "object":
        assert response.status_code == 400 and say("company.no_name") in response.json()["message"]
    else:  # a bare id says nothing about the name: the job judges the company it reads
        assert response.status_code == 200


async def test_before_order_save_answers_a_bare_client_as_its_id_object(
    harness: SyncHarness,
) -> None:
    await link_demo_products(harness)
    answers = []
    for client in (99, {"id": 99}, "99"):
        order = won_order(harness, client=client)
        response = await post_hook(harness, "before_order_save", {"obj": order})
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1] == answers[2] == (200, {"status": "ok"})
    missing = await post_hook(
        harness, "before_order_save", {"obj": won_order(harness, client=None)}
    )
    assert missing.status_code == 400 and say("order.no_company") in missing.json()["message"]


@pytest.mark.parametrize("form", FORMS)
async def test_before_order_save_passes_a_sendable_order_in_either_form(
    harness: SyncHarness, form: str
) -> None:
    await link_demo_products(harness)
    response = await post_hook(
        harness, "before_order_save", {"obj": in_form(won_order(harness), form)}
    )
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.parametrize("form", FORMS)
async def test_after_order_update_with_either_form_syncs_the_won_deal(
    harness: SyncHarness, form: str
) -> None:
    await link_demo_products(harness)
    order = win(harness, harness.demo.opportunity_id)
    user = harness.demo.sales_rep_user_ids[0]
    response = await post_hook(
        harness,
        "after_order_update",
        {"object": in_form(order, form)},
        user=user if form == "bare" else {"id": user, "email": "rep@example.com"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "accepted"
    await run_now(harness)
    (job,) = await jobs_of(harness, "upsales.order")
    assert job.status == JobStatus.DONE, job.last_error
    (invoice,) = fortnox_list(harness, "invoices")
    assert len(invoice["InvoiceRows"]) == len(order["orderRow"])


@pytest.mark.parametrize("form", FORMS)
async def test_after_client_update_with_either_form_is_taken_in(
    harness: SyncHarness, form: str
) -> None:
    company_id = harness.demo.account_ids[0]
    company = dict(harness.upsales_entity("accounts", company_id) or {})
    company["users"] = [{"id": harness.demo.sales_rep_user_ids[0], "name": "Rep"}]
    company["regBy"] = {"id": harness.demo.admin_user_id}
    response = await post_hook(
        harness,
        "after_client_update",
        {"object": in_form(company, form)},
        user=harness.demo.sales_rep_user_ids[0] if form == "bare" else {"email": "r@example.com"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "accepted"
    await run_now(harness)
    (job,) = await jobs_of(harness, "upsales.company")
    assert job.status == JobStatus.DONE, job.last_error


@pytest.mark.parametrize("obj", [{"id": 424242}, 424242, "424242"])
async def test_app_status_order_reads_the_order_as_object_or_bare_id(
    harness: SyncHarness, obj: Any
) -> None:
    response = await post_hook(harness, "app_status_order", {"obj": obj})
    assert response.status_code == 200, response.text
    assert (response.json()["order_id"], response.json()["status"]) == (424242, "not_sent")
