from __future__ import annotations

import httpx

from tests.sandbox.upsales.conftest import FakeClock, body, order_body
from ufs_sandboxes.upsales import DemoUpsalesSeed, UpsalesSandbox


async def test_name_is_mandatory(client: httpx.AsyncClient) -> None:
    for payload in ({}, {"name": "   "}, {"orgNo": "556000-0000"}):
        response = await client.post("accounts", json=payload)
        assert response.status_code == 400, payload
        assert "name" in body(response)["error"]["msg"]


async def test_strings_are_trimmed_and_defaults_filled(client: httpx.AsyncClient) -> None:
    account = body(
        await client.post(
            "accounts",
            json={
                "name": "  Trim AB  ",
                "orgNo": " 556000-1111 ",
                "addresses": [{"type": "Visit", "city": " Malmö ", "address": " Storgatan 1"}],
            },
        )
    )["data"]
    assert account["name"] == "Trim AB"
    assert account["orgNo"] == "556000-1111"
    assert account["addresses"][0]["city"] == "Malmö"
    assert account["addresses"][0]["zipcode"] is None
    assert account["active"] == 1 and account["isExternal"] == 0
    assert account["currency"] == "SEK"
    assert account["custom"] == []


async def test_partial_update_keeps_other_fields_and_stamps_mod_date(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed, clock: FakeClock
) -> None:
    before = body(await client.get(f"accounts/{demo.account_ids[0]}"))["data"]
    clock.advance(3600)
    after = body(
        await client.put(
            f"accounts/{demo.account_ids[0]}", json={"notes": "Ring i maj", "active": False}
        )
    )["data"]
    assert after["notes"] == "Ring i maj"
    assert after["active"] == 0
    assert after["orgNo"] == before["orgNo"] and after["addresses"] == before["addresses"]
    assert after["regDate"] == before["regDate"]
    assert after["modDate"] == "2024-06-01T13:00:00.000Z"
    assert body(await client.get(f"accounts/{demo.account_ids[0]}"))["data"] == after


async def test_read_only_fields_in_body_are_ignored(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    account = body(
        await client.put(
            f"accounts/{demo.account_ids[0]}",
            json={"id": 999, "regDate": "2000-01-01T00:00:00.000Z", "regBy": {"id": 42}},
        )
    )["data"]
    assert account["id"] == demo.account_ids[0]
    assert account["regDate"] == "2024-06-01T12:00:00.000Z"
    assert account["regBy"]["id"] == demo.api_user_id


async def test_a_custom_array_replaces_the_values_and_unknown_fields_are_400(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    number_field = demo.account_fortnox_customer_number_field_id
    extra = body(
        await client.post("customfields/account", json={"name": "Bransch", "datatype": "String"})
    )["data"]["id"]
    url = f"accounts/{demo.account_ids[0]}"
    await client.put(url, json={"custom": [{"fieldId": number_field, "value": "1001"}]})
    replaced = body(
        await client.put(url, json={"custom": [{"fieldId": extra, "value": "Verkstad"}]})
    )["data"]
    assert replaced["custom"] == [{"fieldId": extra, "value": "Verkstad"}]
    whole = [{"fieldId": number_field, "value": "1001"}, {"fieldId": extra, "value": "Verkstad"}]
    assert body(await client.put(url, json={"custom": whole}))["data"]["custom"] == whole
    untouched = body(await client.put(url, json={"name": "Annat Namn AB"}))["data"]
    assert untouched["custom"] == whole
    cleared = body(
        await client.put(
            url,
            json={"custom": [{"fieldId": number_field, "value": None}, whole[1]]},
        )
    )["data"]
    assert cleared["custom"] == [{"fieldId": extra, "value": "Verkstad"}]
    order_field = demo.order_fortnox_document_field_id
    wrong_entity = await client.put(url, json={"custom": [{"fieldId": order_field, "value": "x"}]})
    assert wrong_entity.status_code == 400


async def test_account_managers_are_expanded_and_must_exist(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    sara = demo.sales_rep_user_ids[1]
    account = body(
        await client.post("accounts", json={"name": "Kund AB", "users": [{"id": sara}]})
    )["data"]
    assert account["users"] == [
        {"id": sara, "name": "Sara Lind", "role": None, "email": "sara@demokonsult.se"}
    ]
    missing = await client.post("accounts", json={"name": "Kund AB", "users": [{"id": 999}]})
    assert missing.status_code == 400


async def test_bad_address_type_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("accounts", json={"name": "A", "addresses": [{"type": "Moon"}]})
    assert response.status_code == 400


async def test_deleting_a_company_deletes_its_orders(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    order_id = body(await client.post("orders", json=order_body(demo)))["data"]["id"]
    assert (await client.delete(f"accounts/{demo.account_ids[0]}")).status_code == 200
    assert sandbox.get_entity(demo.customer_id, "orders", order_id) is None
    assert sandbox.get_entity(demo.customer_id, "orders", demo.opportunity_id) is None
    assert (await client.delete(f"accounts/{demo.account_ids[0]}")).status_code == 404


async def test_responses_are_snapshots_not_live_objects(
    sandbox: UpsalesSandbox, demo: DemoUpsalesSeed
) -> None:
    before = sandbox.get_entity(demo.customer_id, "accounts", demo.account_ids[0])
    assert before is not None
    sandbox.update_entity(
        demo.customer_id, "accounts", demo.account_ids[0], {"name": "Nytt Namn AB"}
    )
    assert before["name"] == "Nordisk Verkstad AB"


async def test_mod_date_has_whole_seconds_as_upsales_answers(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed, clock: FakeClock
) -> None:
    """Every ``regDate``/``modDate`` in Upsales' Postman examples ends in ``.000Z``."""
    clock.advance(1.75)
    account = body(await client.post("accounts", json={"name": "Sekund AB"}))["data"]
    assert account["regDate"] == account["modDate"] == "2024-06-01T12:00:01.000Z"
    clock.advance(0.5)
    updated = body(await client.put(f"accounts/{account['id']}", json={"notes": "x"}))["data"]
    assert updated["modDate"] == "2024-06-01T12:00:02.000Z"
