from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ufs_sandboxes.upsales import (
    FORTNOX_CUSTOMER_NUMBER_ALIAS,
    FORTNOX_DOCUMENT_ALIAS,
    DemoUpsalesSeed,
    UpsalesSandbox,
    encode_json,
    seed_demo_upsales,
)


def test_demo_customer_is_consistent(sandbox: UpsalesSandbox, demo: DemoUpsalesSeed) -> None:
    customer = sandbox.customer(demo.customer_id)
    stages = {s["name"]: s for s in customer.table("orderstages").values()}
    assert {name: s["probability"] for name, s in stages.items()} == {
        "Kontakt": 10,
        "Offert": 50,
        "Vunnen order": 100,
        "Förlorad": 0,
    }
    assert stages["Vunnen order"]["id"] == demo.stage_won_id
    assert stages["Förlorad"]["id"] == demo.stage_lost_id
    users = customer.table("users")
    assert users[demo.admin_user_id]["administrator"] == 1
    assert all(users[i]["administrator"] == 0 for i in demo.sales_rep_user_ids)
    assert users[demo.api_user_id]["email"].endswith("@api.upsales.com")
    account_field = customer.custom_fields("account")[demo.account_fortnox_customer_number_field_id]
    order_field = customer.custom_fields("order")[demo.order_fortnox_document_field_id]
    assert account_field["alias"] == FORTNOX_CUSTOMER_NUMBER_ALIAS
    assert order_field["alias"] == FORTNOX_DOCUMENT_ALIAS
    accounts = [customer.table("accounts")[i] for i in demo.account_ids]
    assert all(a["orgNo"] for a in accounts)
    assert set(demo.product_ids_by_article_no) == {"KONS-1", "LIC-BAS", "UTB-DAG"}
    opportunity = customer.table("orders")[demo.opportunity_id]
    assert opportunity["value"] == 2 * 4410 + 8 * 1250
    assert opportunity["stage"]["id"] == demo.stage_offer_id


def test_two_demo_customers_do_not_share_keys_or_data(
    sandbox: UpsalesSandbox, demo: DemoUpsalesSeed
) -> None:
    second = seed_demo_upsales(sandbox, "Andra Demo AB")
    assert second.customer_id != demo.customer_id
    assert second.api_key != demo.api_key
    assert sandbox.customer(second.customer_id).name == "Andra Demo AB"


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**12), max_value=10**12
    )
)
def test_decimals_travel_as_exact_json_numbers(value: Decimal) -> None:
    text = encode_json({"value": value, "list": [value, "x"]})
    decoded = json.loads(text, parse_float=Decimal)
    assert decoded["value"] == value and decoded["list"] == [value, "x"]
    assert b'"value":"' not in text
