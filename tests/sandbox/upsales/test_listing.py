from __future__ import annotations

import json

import httpx
import pytest

from tests.sandbox.upsales.conftest import body, order_body
from ufs_sandboxes.upsales import DemoUpsalesSeed, SandboxCustomer, UpsalesSandbox


@pytest.fixture
def many_accounts(sandbox: UpsalesSandbox) -> tuple[SandboxCustomer, list[int]]:
    customer = sandbox.create_customer("Många Bolag AB")
    ids = sandbox.seed(
        customer.id,
        "accounts",
        [
            {"name": f"Bolag {n:04d}", "active": n % 3 != 0, "phone": f"08-{n}"}
            for n in range(1, 2501)
        ],
    )
    return customer, ids


async def test_default_limit_is_1000_and_offset_skips(
    raw_client: httpx.AsyncClient, many_accounts: tuple[SandboxCustomer, list[int]]
) -> None:
    customer, ids = many_accounts
    first = body(await raw_client.get("accounts", params={"token": customer.api_key}))
    assert first["metadata"] == {"total": 2500, "limit": 1000, "offset": 0}
    assert len(first["data"]) == 1000
    page = body(
        await raw_client.get(
            "accounts", params={"token": customer.api_key, "offset": 2400, "limit": 2000}
        )
    )
    assert [a["id"] for a in page["data"]] == ids[2400:]
    assert page["metadata"] == {"total": 2500, "limit": 2000, "offset": 2400}


@pytest.mark.parametrize("params", [{"limit": 2001}, {"limit": -1}, {"offset": "x"}])
async def test_bad_paging_is_400(client: httpx.AsyncClient, params: dict[str, object]) -> None:
    response = await client.get("accounts", params=params)
    assert response.status_code == 400
    assert body(response)["error"]["code"] == 400


async def test_export_by_id_gt_returns_every_row_once(
    raw_client: httpx.AsyncClient, many_accounts: tuple[SandboxCustomer, list[int]]
) -> None:
    customer, ids = many_accounts
    seen: list[int] = []
    last = 0
    while True:
        params = {"token": customer.api_key, "sort": "id", "id": f"gt:{last}", "limit": 700}
        page = body(await raw_client.get("accounts", params=params))["data"]
        if not page:
            break
        seen.extend(a["id"] for a in page)
        last = page[-1]["id"]
    assert seen == ids


async def test_sort_descending_and_by_two_keys(
    raw_client: httpx.AsyncClient, many_accounts: tuple[SandboxCustomer, list[int]]
) -> None:
    customer, ids = many_accounts
    params = [("token", customer.api_key), ("sort", "-id"), ("limit", "3")]
    assert [a["id"] for a in body(await raw_client.get("accounts", params=params))["data"]] == ids[
        ::-1
    ][:3]
    params = [("token", customer.api_key), ("sort", "active"), ("sort", "-name"), ("limit", "2")]
    rows = body(await raw_client.get("accounts", params=params))["data"]
    assert [(a["active"], a["name"]) for a in rows] == [(0, "Bolag 2499"), (0, "Bolag 2496")]


async def test_comparison_operators_and_repeated_params(
    raw_client: httpx.AsyncClient, many_accounts: tuple[SandboxCustomer, list[int]]
) -> None:
    customer, ids = many_accounts
    params = [
        ("token", customer.api_key),
        ("id", f"gte:{ids[10]}"),
        ("id", f"lt:{ids[15]}"),
        ("active", "1"),
    ]
    rows = body(await raw_client.get("accounts", params=params))["data"]
    assert [a["name"] for a in rows] == ["Bolag 0011", "Bolag 0013", "Bolag 0014"]
    params = [("token", customer.api_key), ("id", f"lte:{ids[2]}"), ("active", "ne:1")]
    assert [a["name"] for a in body(await raw_client.get("accounts", params=params))["data"]] == [
        "Bolag 0003"
    ]


async def test_eq_list_and_default_equals_ignore_case(
    raw_client: httpx.AsyncClient, many_accounts: tuple[SandboxCustomer, list[int]]
) -> None:
    customer, ids = many_accounts
    listed = body(
        await raw_client.get(
            "accounts", params={"token": customer.api_key, "id": f"eq:{ids[0]},{ids[4]},{ids[9]}"}
        )
    )
    assert [a["id"] for a in listed["data"]] == [ids[0], ids[4], ids[9]]
    assert listed["metadata"]["total"] == 3
    named = body(
        await raw_client.get("accounts", params={"token": customer.api_key, "name": "bolag 0042"})
    )
    assert [a["id"] for a in named["data"]] == [ids[41]]
    excluded = body(
        await raw_client.get(
            "accounts",
            params={"token": customer.api_key, "id": f"ne:{ids[0]},{ids[1]}", "limit": 1},
        )
    )
    assert excluded["metadata"]["total"] == 2498


async def test_dotted_relation_filters_on_orders(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    erik, sara = demo.sales_rep_user_ids
    won = order_body(
        demo,
        stage={"id": demo.stage_won_id},
        probability=100,
        client={"id": demo.account_ids[1]},
        user={"id": sara},
    )
    await client.post("orders", json=won)
    await client.post("orders", json=order_body(demo, probability=75))
    by_client = body(await client.get("orders", params={"client.id": demo.account_ids[1]}))["data"]
    assert [o["probability"] for o in by_client] == [100]
    by_stage = body(await client.get("orders", params={"stage.id": demo.stage_offer_id}))["data"]
    assert sorted(o["probability"] for o in by_stage) == [50, 75]
    not_erik = body(await client.get("orders", params={"user.id": f"ne:{erik}"}))["data"]
    assert [o["user"]["id"] for o in not_erik] == [sara]
    open_deals = body(
        await client.get("orders", params=[("probability", "gte:1"), ("probability", "lte:99")])
    )["data"]
    assert sorted(o["probability"] for o in open_deals) == [50, 75]
    by_product = body(
        await client.get(
            "orders", params={"orderRow.product.id": demo.product_ids_by_article_no["KONS-1"]}
        )
    )
    assert [o["id"] for o in by_product["data"]] == [demo.opportunity_id]


async def test_custom_field_filter(client: httpx.AsyncClient, demo: DemoUpsalesSeed) -> None:
    field_id = demo.account_fortnox_customer_number_field_id
    await client.put(
        f"accounts/{demo.account_ids[1]}", json={"custom": [{"fieldId": field_id, "value": "1042"}]}
    )
    matched = body(await client.get("accounts", params={"custom": f"eq:{field_id}:1042"}))["data"]
    assert [a["id"] for a in matched] == [demo.account_ids[1]]
    without = body(await client.get("accounts", params={"custom": f"eq:{field_id}:null"}))["data"]
    assert [a["id"] for a in without] == [demo.account_ids[0]]
    other = body(await client.get("accounts", params={"custom": f"ne:{field_id}:1042"}))["data"]
    assert [a["id"] for a in other] == [demo.account_ids[0]]


async def test_a_customer_may_match_custom_filters_on_a_substring(
    client: httpx.AsyncClient, sandbox: UpsalesSandbox, demo: DemoUpsalesSeed
) -> None:
    """The other answer to how Upsales compares custom values, for clients to be tried on."""
    field_id = demo.account_fortnox_customer_number_field_id
    for account_id, value in zip(demo.account_ids, ("10420", "1042"), strict=False):
        await client.put(
            f"accounts/{account_id}", json={"custom": [{"fieldId": field_id, "value": value}]}
        )
    params = {"custom": f"eq:{field_id}:1042"}
    whole = body(await client.get("accounts", params=params))["data"]
    assert [a["id"] for a in whole] == [demo.account_ids[1]]

    sandbox.customer(demo.customer_id).custom_filters_match_substrings = True

    part = body(await client.get("accounts", params=params))["data"]
    assert sorted(a["id"] for a in part) == sorted(demo.account_ids[:2])


async def test_a_customer_may_split_bare_filter_values_on_commas(
    client: httpx.AsyncClient, sandbox: UpsalesSandbox, demo: DemoUpsalesSeed
) -> None:
    """The other answer to a bare value holding a comma (the collection documents several
    values only after a comparison type), for clients to be tried on; a ``q`` value is one
    value under either answer."""
    ids = sandbox.seed(
        demo.customer_id, "accounts", [{"name": "Andersson, Berg AB"}, {"name": "Andersson"}]
    )
    bare = {"name": "Andersson, Berg AB"}
    as_q = {"q": json.dumps({"a": "name", "c": "eq", "v": "Andersson, Berg AB"})}
    assert [a["id"] for a in body(await client.get("accounts", params=bare))["data"]] == ids[:1]

    sandbox.customer(demo.customer_id).bare_filter_values_split_on_commas = True

    assert [a["id"] for a in body(await client.get("accounts", params=bare))["data"]] == ids[1:]
    assert [a["id"] for a in body(await client.get("accounts", params=as_q))["data"]] == ids[:1]


async def test_q_conditions_and_or_groups(client: httpx.AsyncClient, demo: DemoUpsalesSeed) -> None:
    condition = json.dumps({"a": "orgNo", "c": "eq", "v": "559123-4567"})
    rows = body(await client.get("accounts", params={"q": condition}))["data"]
    assert [a["id"] for a in rows] == [demo.account_ids[1]]
    either = json.dumps(
        {
            "or": {
                "q": [
                    [{"a": "name", "c": "eq", "v": "Nordisk Verkstad AB"}],
                    [{"a": "orgNo", "c": "eq", "v": "559123-4567"}],
                ]
            }
        }
    )
    assert body(await client.get("accounts", params={"q": either}))["metadata"]["total"] == 2


@pytest.mark.parametrize(
    "params",
    [
        {"noSuchField": "1"},
        {"sort": "noSuchField"},
        {"id": "gt:abc"},
        {"q": "{not json"},
        {"client.custom": "eq:1:2"},
    ],
)
async def test_bad_filters_are_400(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get("orders", params=params)
    assert response.status_code == 400
    assert body(response)["error"]["key"] == "BadRequest"


async def test_list_valued_relations_and_dotted_sort(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    erik, sara = demo.sales_rep_user_ids
    managed_by_sara = body(await client.get("accounts", params={"users.id": sara}))["data"]
    assert [a["id"] for a in managed_by_sara] == [demo.account_ids[1]]
    not_erik = body(await client.get("accounts", params={"users.id": f"ne:{erik}"}))["data"]
    assert [a["id"] for a in not_erik] == [demo.account_ids[1]]
    await client.post("orders", json=order_body(demo, client={"id": demo.account_ids[1]}))
    by_client_name = body(await client.get("orders", params={"sort": "client.name"}))["data"]
    assert [o["client"]["name"] for o in by_client_name] == [
        "Fjällbacka Fisk & Skaldjur AB",
        "Nordisk Verkstad AB",
    ]
