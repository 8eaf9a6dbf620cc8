"""Answers inside Upsales (before_order_save, app_status_order) and the operators' per-entity
history, after real syncs against the sandboxes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import (
    edit,
    link_demo_products,
    mark_initial_sync_done,
    queue,
    sync_company,
    sync_order,
    win,
)
from ufs_sandboxes.fortnox.resources.document_actions import bookkeep_invoice
from upsales_fortnox.integrations.fortnox.limits import MAX_DOCUMENT_ROWS
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.sync.initial.control import start_initial_sync
from upsales_fortnox.sync.order_answers import (
    answer_app_status_order,
    answer_before_order_save,
)
from upsales_fortnox.vocabulary import (
    FortnoxType,
    InstallationStatus,
    JobStatus,
    LinkEntity,
)


def _hook(order: dict[str, Any], key: str = "obj") -> dict[str, Any]:
    return {"type": "before_order_save", "data": {key: order}}


def _won_body(harness: SyncHarness, **overrides: Any) -> dict[str, Any]:
    order = dict(harness.upsales_entity("orders", harness.demo.opportunity_id) or {})
    order.update({"probability": 100, **overrides})
    return order


async def test_before_order_save_refuses_a_product_without_article(harness: SyncHarness) -> None:
    await mark_initial_sync_done(harness.services.session_factory, harness.installation_id)
    answer = await answer_before_order_save(
        harness.services, harness.installation_id, _hook(_won_body(harness))
    )

    assert answer.status_code == 400
    assert answer.body["code"] == "order_not_sendable"
    message = answer.body["message"]
    assert message.startswith("Ordern kan inte skickas till Fortnox: ")
    assert "produkten 'Licens Bas' finns inte som artikel i Fortnox" in message
    assert "produkten 'Konsulttimme' finns inte som artikel i Fortnox" in message
    assert sum(harness.services.fortnox_calls.values()) == 0
    assert sum(harness.services.upsales_calls.values()) == 0


@pytest.mark.parametrize(
    "before", ["the_fortnox_login", "an_initial_sync_runs", "the_initial_sync_ends"]
)
async def test_before_order_save_does_not_judge_products_before_they_are_linked(
    harness: SyncHarness, before: str
) -> None:
    """Before the login, before an initial sync linked the products, or while it does, an
    unlinked product's article is not known yet (the job finds it by its number): the save is
    not blocked, and the rows still count. Once an initial sync is done, an unlinked product is
    refused again."""
    async with harness.services.session_factory() as session, session.begin():
        if before == "the_fortnox_login":
            installation = await session.get(Installation, harness.installation_id)
            assert installation is not None
            installation.status = InstallationStatus.PENDING_LOGIN
        elif before == "the_initial_sync_ends":
            await start_initial_sync(session, harness.installation_id)
    body = _hook(_won_body(harness))
    answer = await answer_before_order_save(harness.services, harness.installation_id, body)
    assert (answer.status_code, answer.body) == (200, {"status": "ok"})

    many = [{**_won_body(harness)["orderRow"][0], "id": None}] * (MAX_DOCUMENT_ROWS + 1)
    too_many = _hook(_won_body(harness, orderRow=many))
    refused = await answer_before_order_save(harness.services, harness.installation_id, too_many)
    assert refused.status_code == 400
    assert f"tillåter högst {MAX_DOCUMENT_ROWS}" in refused.body["message"]

    async with harness.services.session_factory() as session, session.begin():
        installation = await session.get(Installation, harness.installation_id)
        assert installation is not None
        installation.status = InstallationStatus.ACTIVE
    await mark_initial_sync_done(harness.services.session_factory, harness.installation_id)
    linked = await answer_before_order_save(harness.services, harness.installation_id, body)
    assert linked.status_code == 400
    assert "finns inte som artikel i Fortnox" in linked.body["message"]


async def test_before_order_save_passes_sendable_and_unwon_orders(harness: SyncHarness) -> None:
    await link_demo_products(harness)
    won = await answer_before_order_save(
        harness.services, harness.installation_id, _hook(_won_body(harness), key="object")
    )
    assert (won.status_code, won.body) == (200, {"status": "ok"})
    open_deal = _won_body(harness, probability=50, client={"id": 1, "name": ""})
    answer = await answer_before_order_save(
        harness.services, harness.installation_id, _hook(open_deal)
    )
    assert answer.status_code == 200
    assert (
        await answer_before_order_save(harness.services, harness.installation_id, {})
    ).status_code == 200


async def test_before_order_save_refuses_a_company_fortnox_would_refuse(
    harness: SyncHarness,
) -> None:
    await link_demo_products(harness)
    client = {
        "id": 99,
        "name": "Ab",
        "orgNo": "12-3",
        "addresses": [{"type": "Mail", "zipcode": "123 456 7890"}],
    }
    answer = await answer_before_order_save(
        harness.services, harness.installation_id, _hook(_won_body(harness, client=client))
    )
    assert answer.status_code == 400
    assert "organisationsnumret '12-3'" in answer.body["message"]
    assert "postnummer har 12 tecken; Fortnox tillåter högst 10" in answer.body["message"]
    nameless = await answer_before_order_save(
        harness.services,
        harness.installation_id,
        _hook(_won_body(harness, client={"id": 99, "name": " "})),
    )
    assert nameless.status_code == 400 and "saknar namn" in nameless.body["message"]


async def test_before_order_save_trusts_a_linked_company(harness: SyncHarness) -> None:
    await link_demo_products(harness)
    win(harness, harness.demo.opportunity_id)
    await sync_order(harness, harness.demo.opportunity_id)
    client = {"id": harness.demo.account_ids[0], "name": "", "orgNo": "bad"}
    answer = await answer_before_order_save(
        harness.services, harness.installation_id, _hook(_won_body(harness, client=client))
    )
    assert answer.status_code == 200


async def _status(harness: SyncHarness, order_id: int) -> dict[str, Any]:
    answer = await answer_app_status_order(
        harness.services, harness.installation_id, {"data": {"obj": {"id": order_id}}}
    )
    assert answer.status_code == 200
    return answer.body


async def test_app_status_order_through_a_deals_life(harness: SyncHarness) -> None:
    order_id = harness.demo.opportunity_id
    assert (await _status(harness, order_id))["status"] == "not_sent"
    await queue(harness, "upsales.order", order_id)
    assert (await _status(harness, order_id))["status"] == "waiting"
    await harness.run_jobs()
    below = await _status(harness, order_id)
    assert below["status"] == "not_sent" and "100 %" in below["message"]
    assert below["reason"] == "order_not_won"

    await link_demo_products(harness)
    win(harness, order_id)
    job = await sync_order(harness, order_id)
    number = (job.result or {})["fortnox_invoice"]
    sent = await _status(harness, order_id)
    assert sent["status"] == "sent"
    assert sent["fortnox"] == {"type": "invoice", "number": number}
    assert sent["message"] == f"Skickad till Fortnox som faktura {number}."

    bookkeep_invoice(harness.fortnox.tenant(harness.tenant_id), number)
    edit(harness, "orders", order_id, {"description": "changed", "currency": "EUR"})
    failed_job = await sync_order(harness, order_id)
    assert failed_job.status == JobStatus.DEAD
    failed = await _status(harness, order_id)
    assert failed["status"] == "failed"
    assert failed["message"] == (
        f"Ändringen skickades inte: faktura {number} är bokförd i Fortnox och kan inte längre "
        "ändras. Kreditera fakturan i Fortnox för att ändra eller annullera affären."
    )
    assert "fortnox_document_locked" not in str(failed)  # operators find it through job_id

    bad = await answer_app_status_order(harness.services, harness.installation_id, {"data": {}})
    assert bad.status_code == 400
    assert bad.body == {
        "error": "Anropet anger ingen order.",
        "message": "Anropet anger ingen order.",
        "code": "validation_error",
    }


async def test_app_status_order_says_why_a_deal_was_not_sent_in_the_reps_words(
    harness: SyncHarness,
) -> None:
    """The sales rep reads why in Swedish; the reply's ``reason`` is a stable code, never the
    job's English prose for operators."""
    order_id = harness.demo.opportunity_id
    await sync_order(harness, order_id)  # the demo deal is at 50 %
    below = await _status(harness, order_id)
    assert (below["status"], below["reason"]) == ("not_sent", "order_not_won")
    assert below["message"] == (
        "Inte skickad till Fortnox; vunna affärer (100 %) med ett företag skickas."
    )

    harness.upsales.delete_entity(harness.demo.customer_id, "orders", order_id, fire_hooks=False)
    job = await sync_order(harness, order_id)
    assert (job.result or {})["reason"].startswith("order_deleted: ")  # operators read on
    deleted = await _status(harness, order_id)
    assert (deleted["status"], deleted["reason"]) == ("not_sent", "order_deleted")
    assert deleted["message"] == "Inte skickad till Fortnox: ordern finns inte längre i Upsales."
    english = await answer_app_status_order(
        harness.services,
        harness.installation_id,
        {"data": {"obj": {"id": order_id}}, "user": {"language": "en"}},
    )
    assert english.body["message"] == "Not sent to Fortnox: the order no longer exists in Upsales."


async def test_app_status_order_of_a_deal_moved_back_from_won_says_its_invoice_stays(
    harness: SyncHarness,
) -> None:
    """A sales rep who moves a sent deal back from won (or to lost) is told that its invoice
    stays in Fortnox as it is and what to do about it, not merely that it was sent, as if the
    deal in Upsales and the invoice the customer gets still agreed."""
    order_id = harness.demo.opportunity_id
    await link_demo_products(harness)
    win(harness, order_id)
    number = (await sync_order(harness, order_id)).result["fortnox_invoice"]  # type: ignore[index]
    edit(harness, "orders", order_id, {"probability": 0})
    moved_back = await sync_order(harness, order_id)
    assert (moved_back.result or {})["outcome"] == "skipped"

    status = await _status(harness, order_id)

    assert status["status"] == "sent" and status["reason"] == "order_not_won"
    assert status["fortnox"] == {"type": "invoice", "number": number}
    assert status["message"] == (
        f"Skickad till Fortnox som faktura {number}, men affären är inte längre vunnen: "
        f"ändringar skickas inte dit, och faktura {number} finns kvar i Fortnox som den är. "
        f"Blir affären inte av behöver faktura {number} makuleras i Fortnox (en bokförd "
        "faktura krediteras i stället); vinns affären igen uppdateras den med affären, om den "
        "ännu går att ändra."
    )
    win(harness, order_id)
    assert (await sync_order(harness, order_id)).status == JobStatus.DONE
    won_again = await _status(harness, order_id)
    assert won_again["message"] == f"Skickad till Fortnox som faktura {number}."
    assert "reason" not in won_again


async def test_app_status_order_of_an_open_deal_from_a_fortnox_offer_is_not_moved_back(
    harness: SyncHarness,
) -> None:
    """A deal whose opportunity came from a Fortnox offer, not won yet, was never sent nor won:
    its status names the offer, not an invoice or order the rep would need to cancel."""
    order_id = harness.demo.opportunity_id
    async with harness.services.session_factory() as session:
        await LinkStore(session, harness.installation_id).save(
            LinkEntity.ORDER, order_id, FortnoxType.OFFER, "5", None
        )
        await session.commit()
    edit(harness, "orders", order_id, {"probability": 50})
    assert ((await sync_order(harness, order_id)).result or {})["outcome"] == "skipped"

    status = await _status(harness, order_id)

    assert status["status"] == "sent" and "reason" not in status
    assert status["message"] == "Skickad till Fortnox som offert 5."


async def test_app_status_order_of_an_order_fortnox_cannot_take_sends_the_rep_to_it(
    harness: SyncHarness,
) -> None:
    """A won deal Fortnox cannot take as it stands (more rows than a document holds) is the
    rep's to correct: the status says so, and that saving the order again shows why (the save
    answers with the reasons), rather than sending the rep to the integration's administrator."""
    order_id = harness.demo.opportunity_id
    await link_demo_products(harness)
    kons = harness.demo.product_ids_by_article_no["KONS-1"]
    row = {"product": {"id": kons}, "quantity": 1, "listPrice": 1, "price": 1}
    win(harness, order_id, orderRow=[row] * 501)
    assert (await sync_order(harness, order_id)).status == JobStatus.DEAD

    status = await _status(harness, order_id)

    assert status["status"] == "failed"
    assert status["message"] == (
        "Inte skickad: ordern går inte att skicka till Fortnox som den ser ut nu. Spara ordern "
        "igen så visas varför; när den är rättad skickas den."
    )
    saved_again = await answer_before_order_save(
        harness.services, harness.installation_id, _hook(_won_body(harness))
    )
    assert saved_again.status_code == 400
    assert "ordern blir 501 rader i Fortnox" in saved_again.body["message"]


@pytest.mark.parametrize(
    ("installation_status", "message"),
    [
        (
            InstallationStatus.NEEDS_RELOGIN,
            "Väntar: integrationen behöver loggas in i Fortnox. Ordern skickas när "
            "administratören har loggat in.",
        ),
        (
            InstallationStatus.PENDING_LOGIN,
            "Väntar: integrationen behöver loggas in i Fortnox. Ordern skickas när "
            "administratören har loggat in.",
        ),
        (
            InstallationStatus.PAUSED,
            "Väntar: synkningen med Fortnox är pausad. Ordern skickas när den startas igen.",
        ),
    ],
)
async def test_app_status_order_says_what_a_won_deal_waits_for_while_nothing_is_sent(
    harness: SyncHarness, installation_status: InstallationStatus, message: str
) -> None:
    """A won deal of an installation whose jobs do not run (a Fortnox login is needed, or an
    operator paused it) is not "waiting to be sent" as any deal is: it waits for a person."""
    order_id = harness.demo.opportunity_id
    await link_demo_products(harness)
    win(harness, order_id)
    await queue(harness, "upsales.order", order_id)
    assert (await _status(harness, order_id))["message"] == "Väntar på att skickas till Fortnox."
    async with harness.services.session_factory() as session, session.begin():
        installation = await session.get(Installation, harness.installation_id)
        assert installation is not None
        installation.status = installation_status

    waiting = await _status(harness, order_id)

    assert (waiting["status"], waiting["message"]) == ("waiting", message)


@pytest.fixture
async def synced(harness: SyncHarness) -> SyncHarness:
    await link_demo_products(harness)
    win(harness, harness.demo.opportunity_id)
    await sync_order(harness, harness.demo.opportunity_id)
    await sync_company(harness, harness.demo.account_ids[0])
    return harness


async def _history(harness: SyncHarness, **params: Any) -> Any:
    response = await harness.service.get(
        f"/api/installations/{harness.installation_id}/history",
        params=params,
        headers=harness.admin_headers,
    )
    return response


async def test_history_of_an_order_from_either_side(synced: SyncHarness) -> None:
    harness = synced
    order_id = harness.demo.opportunity_id
    by_upsales = (await _history(harness, entity="order", upsales_id=order_id)).json()
    (number,) = by_upsales["fortnox_ids"]["invoice"]
    assert by_upsales["upsales_ids"] == [order_id]
    (job,) = by_upsales["jobs"]
    assert job["kind"] == "upsales.order" and job["outcome"] == "created"
    assert job["attempts"] == 1 and job["status"] == "done"
    assert job["written"]["fortnox_invoice"] == number
    assert job["written"]["upsales_order"] == order_id

    by_fortnox = (
        await _history(harness, entity="order", fortnox_id=number, fortnox_type="invoice")
    ).json()
    assert by_fortnox["upsales_ids"] == [order_id]
    assert [j["id"] for j in by_fortnox["jobs"]] == [job["id"]]


async def test_history_of_a_company_includes_the_order_that_created_its_customer(
    synced: SyncHarness,
) -> None:
    harness = synced
    history = (
        await _history(harness, entity="company", upsales_id=harness.demo.account_ids[0])
    ).json()
    kinds = [job["kind"] for job in history["jobs"]]
    assert kinds == ["upsales.company", "upsales.order"]  # newest first
    assert history["jobs"][0]["outcome"] == "no_change"
    (number,) = history["fortnox_ids"]["customer"]
    assert history["jobs"][1]["written"]["fortnox_customer"] == number


async def test_history_refuses_bad_questions(synced: SyncHarness) -> None:
    harness = synced
    assert (await _history(harness, entity="order")).status_code == 422
    assert (
        await _history(harness, entity="order", upsales_id=1, fortnox_id="1")
    ).status_code == 422
    wrong_type = await _history(harness, entity="company", fortnox_id="1", fortnox_type="invoice")
    assert wrong_type.status_code == 422
    unknown = await harness.service.get(
        "/api/installations/00000000-0000-0000-0000-000000000000/history",
        params={"entity": "order", "upsales_id": 1},
        headers=harness.admin_headers,
    )
    assert unknown.status_code == 404
    anonymous = await harness.service.get(
        f"/api/installations/{harness.installation_id}/history",
        params={"entity": "order", "upsales_id": 1},
    )
    assert anonymous.status_code == 401
    empty = (await _history(harness, entity="product", upsales_id=424242)).json()
    assert empty["jobs"] == []


async def test_ids_beyond_the_tables_are_answered_not_crashed(harness: SyncHarness) -> None:
    """Ids that no link can hold (over 32 bits, or absurdly long) are simply unknown."""
    for order_id in (2**31, int("9" * 30)):
        status = await _status(harness, order_id)
        assert (status["status"], status["fortnox"]) == ("not_sent", None)
    await link_demo_products(harness)
    huge_client = _won_body(harness, client={"id": 2**40, "name": "Acme AB"})
    answer = await answer_before_order_save(
        harness.services, harness.installation_id, _hook(huge_client)
    )
    assert (answer.status_code, answer.body) == (200, {"status": "ok"})
