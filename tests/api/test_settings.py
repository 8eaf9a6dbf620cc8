"""Operator API: an installation's settings (rules, optimistic concurrency, live-check hook)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import VALID_SETTINGS, create_installation, with_if_match
from upsales_fortnox.domain.settings_rules import SettingsProblem, ValidSettings
from upsales_fortnox.models.installation import Installation, InstallationSettings
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobKind, JobStatus

UNCONFIGURED = {
    "syncType": None,
    "placeholderUser": None,
    "wonStage": None,
    "lostStage": None,
    "offerStage": None,
    "priceList": None,
    "productBundles": None,
    "paymentStatus": None,
    "creditInvoices": None,
    "documentLinks": None,
    "stockLevels": None,
    "currencyPriceLists": None,
}


async def _settings_url(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    created = await create_installation(client, headers)
    return f"/api/installations/{created['id']}/settings"


async def test_unconfigured_settings_read_as_nulls_at_version_0(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    url = await _settings_url(api_client, admin_headers)
    response = await api_client.get(url, headers=admin_headers)
    assert response.status_code == 200
    assert response.json() == UNCONFIGURED
    assert response.headers["ETag"] == '"0"'


async def test_put_replaces_settings_and_bumps_the_etag(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    url = await _settings_url(api_client, admin_headers)
    first = await api_client.put(
        url, json=VALID_SETTINGS, headers=with_if_match(admin_headers, '"0"')
    )
    assert first.status_code == 200
    assert first.json() == VALID_SETTINGS
    assert first.headers["ETag"] == '"1"'

    replacement = {"syncType": "invoice", "wonStage": 20, "lostStage": 21, "priceList": "b2b"}
    second = await api_client.put(
        url, json=replacement, headers=with_if_match(admin_headers, '"1"')
    )
    assert second.status_code == 200
    expected = {
        **UNCONFIGURED,
        "syncType": "invoice",
        "wonStage": 20,
        "lostStage": 21,
        "priceList": "b2b",
        "productBundles": "onlyBundle",
        "paymentStatus": False,
        "creditInvoices": False,
        "documentLinks": False,
        "stockLevels": False,
        "currencyPriceLists": None,
    }
    assert second.json() == expected
    assert second.headers["ETag"] == '"2"'

    read = await api_client.get(url, headers=admin_headers)
    assert read.json() == expected
    assert read.headers["ETag"] == '"2"'


async def test_the_same_settings_again_keep_their_version(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    url = await _settings_url(api_client, admin_headers)
    await api_client.put(url, json=VALID_SETTINGS, headers=with_if_match(admin_headers, '"0"'))
    again = await api_client.put(
        url, json=VALID_SETTINGS, headers=with_if_match(admin_headers, '"1"')
    )
    assert again.status_code == 200
    assert again.headers["ETag"] == '"1"'


async def test_offer_stage_without_offers_is_refused_not_dropped(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    url = await _settings_url(api_client, admin_headers)
    body = {**VALID_SETTINGS, "syncType": "order"}
    refused = await api_client.put(url, json=body, headers=with_if_match(admin_headers, '"0"'))
    assert refused.status_code == 422
    details = refused.json()["error"]["details"]
    assert [(d["field"], d["code"]) for d in details] == [("offerStage", "not_used")]
    assert "order_offer" in details[0]["message"]
    accepted = await api_client.put(
        url, json={**body, "offerStage": None}, headers=with_if_match(admin_headers, '"0"')
    )
    assert accepted.status_code == 200
    assert accepted.json()["offerStage"] is None


async def test_put_needs_if_match_and_refuses_stale_versions(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    url = await _settings_url(api_client, admin_headers)
    missing = await api_client.put(url, json=VALID_SETTINGS, headers=admin_headers)
    assert missing.status_code == 428
    assert missing.json()["error"]["code"] == "precondition_required"
    blank = await api_client.put(
        url, json=VALID_SETTINGS, headers=with_if_match(admin_headers, " ")
    )
    assert blank.status_code == 428

    await api_client.put(url, json=VALID_SETTINGS, headers=with_if_match(admin_headers, '"0"'))
    for stale in ('"0"', '"2"', "garbage"):
        refused = await api_client.put(
            url,
            json={**VALID_SETTINGS, "wonStage": 99},
            headers=with_if_match(admin_headers, stale),
        )
        assert refused.status_code == 412
        assert refused.json()["error"]["code"] == "precondition_failed"
        assert refused.headers["ETag"] == '"1"'
    assert (await api_client.get(url, headers=admin_headers)).json()["wonStage"] == 10


async def test_a_stale_first_write_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    url = await _settings_url(api_client, admin_headers)
    response = await api_client.put(
        url, json=VALID_SETTINGS, headers=with_if_match(admin_headers, '"1"')
    )
    assert response.status_code == 412
    assert (await api_client.get(url, headers=admin_headers)).json() == UNCONFIGURED


RULE_VIOLATIONS: list[tuple[dict[str, Any], str, str]] = [
    ({"syncType": None}, "syncType", "required"),
    ({"syncType": "invoices"}, "syncType", "invalid_choice"),
    ({"productBundles": "all"}, "productBundles", "invalid_choice"),
    ({"wonStage": None}, "wonStage", "required"),
    ({"lostStage": None}, "lostStage", "required"),
    ({"wonStage": 0}, "wonStage", "not_positive_integer"),
    ({"lostStage": -1}, "lostStage", "not_positive_integer"),
    ({"placeholderUser": 0}, "placeholderUser", "not_positive_integer"),
    ({"wonStage": 2**31}, "wonStage", "not_positive_integer"),
    ({"offerStage": 2**40}, "offerStage", "not_positive_integer"),
    ({"lostStage": 10}, "lostStage", "must_differ"),
    ({"offerStage": None}, "offerStage", "required"),
    ({"offerStage": 11}, "offerStage", "must_differ"),
    ({"priceList": ""}, "priceList", "invalid_price_list_code"),
    ({"priceList": "P" * 51}, "priceList", "invalid_price_list_code"),
    ({"priceList": "A-1"}, "priceList", "invalid_price_list_code"),
    ({"priceList": "A\u0000"}, "priceList", "invalid_price_list_code"),
    ({"priceList": "\ud800"}, "priceList", "invalid_price_list_code"),
    ({"syncType": "\ud800"}, "syncType", "invalid_choice"),
    ({"productBundles": "\u0000"}, "productBundles", "invalid_choice"),
]


async def test_each_rule_is_a_422_with_its_code_and_nothing_is_stored(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    url = await _settings_url(api_client, admin_headers)
    await api_client.put(url, json=VALID_SETTINGS, headers=with_if_match(admin_headers, '"0"'))
    for change, field, code in RULE_VIOLATIONS:
        merged = {**VALID_SETTINGS, **change}
        body = {key: value for key, value in merged.items() if value is not None}
        response = await api_client.put(
            url,
            content=json.dumps(body),  # ASCII-escaped, so lone surrogates reach the service
            headers={**with_if_match(admin_headers, '"1"'), "Content-Type": "application/json"},
        )
        assert response.status_code == 422, change
        error = response.json()["error"]
        assert error["code"] == "invalid_settings"
        assert [(problem["field"], problem["code"]) for problem in error["details"]] == [
            (field, code)
        ], change
        assert all(problem["message"] for problem in error["details"])
    after = await api_client.get(url, headers=admin_headers)
    assert after.json() == VALID_SETTINGS
    assert after.headers["ETag"] == '"1"'


WRONG_TYPES: list[Any] = [
    {**VALID_SETTINGS, "wonStage": "10"},
    {**VALID_SETTINGS, "wonStage": True},
    {**VALID_SETTINGS, "wonStage": 10.5},
    {**VALID_SETTINGS, "syncType": 1},
    {**VALID_SETTINGS, "won_stage": 10},
    {**VALID_SETTINGS, "unknown": "x"},
    [VALID_SETTINGS],
    "settings",
]


async def test_wrong_json_types_are_a_422_and_nothing_is_stored(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    url = await _settings_url(api_client, admin_headers)
    for body in WRONG_TYPES:
        response = await api_client.put(
            url,
            content=json.dumps(body),
            headers={**with_if_match(admin_headers, '"0"'), "Content-Type": "application/json"},
        )
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "validation_error", body
    assert (await api_client.get(url, headers=admin_headers)).headers["ETag"] == '"0"'


async def test_a_whole_number_written_with_a_fraction_is_the_integer(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """JSON Schema counts ``10.0`` as an integer, so the API that declares one accepts it."""
    url = await _settings_url(api_client, admin_headers)
    body = {**VALID_SETTINGS, "wonStage": float(VALID_SETTINGS["wonStage"])}
    response = await api_client.put(url, json=body, headers=with_if_match(admin_headers, '"0"'))
    assert response.status_code == 200, response.text
    assert response.json()["wonStage"] == VALID_SETTINGS["wonStage"]
    assert isinstance(response.json()["wonStage"], int)


async def test_price_list_case_is_kept(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    url = await _settings_url(api_client, admin_headers)
    body = {**VALID_SETTINGS, "priceList": "Export2"}
    response = await api_client.put(url, json=body, headers=with_if_match(admin_headers, '"0"'))
    assert response.status_code == 200
    assert response.json()["priceList"] == "Export2"


class RejectUnknownStages:
    """A stand-in live check: knows the stages 10, 11 and 12 only."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, ValidSettings]] = []

    async def __call__(
        self, installation: Installation, settings: ValidSettings
    ) -> Sequence[SettingsProblem]:
        self.seen.append((installation.name, settings))
        known = {10, 11, 12}
        return [
            SettingsProblem(field, "unknown_reference", f"stage {stage} does not exist")
            for field, stage in (
                ("wonStage", settings.won_stage),
                ("lostStage", settings.lost_stage),
            )
            if stage not in known
        ]


async def test_a_live_reference_check_can_reject_ids(
    app: FastAPI, api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    check = RejectUnknownStages()
    app.state.settings_reference_check = check
    url = await _settings_url(api_client, admin_headers)

    accepted = await api_client.put(
        url, json=VALID_SETTINGS, headers=with_if_match(admin_headers, '"0"')
    )
    assert accepted.status_code == 200
    rejected = await api_client.put(
        url, json={**VALID_SETTINGS, "lostStage": 77}, headers=with_if_match(admin_headers, '"1"')
    )
    assert rejected.status_code == 422
    assert rejected.json()["error"]["details"] == [
        {"field": "lostStage", "code": "unknown_reference", "message": "stage 77 does not exist"}
    ]
    assert (await api_client.get(url, headers=admin_headers)).json()["lostStage"] == 11
    assert [settings.lost_stage for _, settings in check.seen] == [11, 77]

    at_creation = await api_client.post(
        "/api/installations",
        json={"name": "Checked", "settings": {**VALID_SETTINGS, "wonStage": 5}},
        headers=admin_headers,
    )
    assert at_creation.status_code == 422
    assert at_creation.json()["error"]["code"] == "invalid_settings"
    assert check.seen[-1][0] == "Checked"
    listing = (await api_client.get("/api/installations", headers=admin_headers)).json()
    assert listing["total"] == 1


async def test_the_pure_rules_run_before_the_live_check(
    app: FastAPI, api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    check = RejectUnknownStages()
    app.state.settings_reference_check = check
    url = await _settings_url(api_client, admin_headers)
    response = await api_client.put(
        url, json={"syncType": "invoice"}, headers=with_if_match(admin_headers, '"0"')
    )
    assert response.status_code == 422
    assert check.seen == []


class ChangeSettingsMeanwhile:
    """A live check that lets another writer change the settings while it runs."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(
        self, installation: Installation, settings: ValidSettings
    ) -> Sequence[SettingsProblem]:
        async with self.session_factory() as session:
            row = await session.get(InstallationSettings, installation.id)
            assert row is not None
            row.won_stage = 500
            await session.commit()
        return []


async def test_a_change_between_read_and_write_is_a_412(
    app: FastAPI,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    url = await _settings_url(api_client, admin_headers)
    await api_client.put(url, json=VALID_SETTINGS, headers=with_if_match(admin_headers, '"0"'))
    app.state.settings_reference_check = ChangeSettingsMeanwhile(session_factory)
    response = await api_client.put(
        url, json={**VALID_SETTINGS, "wonStage": 20}, headers=with_if_match(admin_headers, '"1"')
    )
    assert response.status_code == 412
    assert response.json()["error"]["code"] == "precondition_failed"
    after = await api_client.get(url, headers=admin_headers)
    assert (after.json()["wonStage"], after.headers["ETag"]) == (500, '"2"')


class TakeTheCustomerIdMeanwhile:
    """A live check that lets another installation take the same customer id while it runs."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(
        self, installation: Installation, settings: ValidSettings
    ) -> Sequence[SettingsProblem]:
        async with self.session_factory() as session:
            session.add(Installation(name="Faster", upsales_customer_id=77))
            await session.commit()
        return []


async def test_a_customer_id_taken_during_creation_is_a_409(
    app: FastAPI,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    app.state.settings_reference_check = TakeTheCustomerIdMeanwhile(session_factory)
    response = await api_client.post(
        "/api/installations",
        json={"name": "Slower", "upsales_customer_id": 77, "settings": VALID_SETTINGS},
        headers=admin_headers,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    listing = (await api_client.get("/api/installations", headers=admin_headers)).json()
    assert [item["name"] for item in listing["items"]] == ["Faster"]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(InstallationSettings)) == 0


async def test_a_new_price_list_queues_re_pricing_once(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    url = await _settings_url(api_client, admin_headers)
    first = {**VALID_SETTINGS, "priceList": "A"}
    assert (
        await api_client.put(url, json=first, headers=with_if_match(admin_headers, '"0"'))
    ).status_code == 200
    same_list = {**first, "wonStage": 99}
    assert (
        await api_client.put(url, json=same_list, headers=with_if_match(admin_headers, '"1"'))
    ).status_code == 200
    assert await _reprice_jobs(session_factory) == 0

    new_list = {**same_list, "priceList": "B2B"}
    assert (
        await api_client.put(url, json=new_list, headers=with_if_match(admin_headers, '"2"'))
    ).status_code == 200
    assert await _reprice_jobs(session_factory) == 1


async def _reprice_jobs(
    session_factory: async_sessionmaker[AsyncSession], kind: JobKind = JobKind.REPRICE_PRODUCTS
) -> int:
    async with session_factory() as session:
        count = await session.scalar(
            select(func.count()).select_from(SyncJob).where(SyncJob.kind == kind)
        )
    return int(count or 0)


async def test_turning_stock_or_a_currency_on_queues_the_products_refresh(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    url = await _settings_url(api_client, admin_headers)
    versions = iter(range(100))

    async def put(settings: dict[str, Any]) -> int:
        etag = f'"{next(versions)}"'
        response = await api_client.put(
            url, json=settings, headers=with_if_match(admin_headers, etag)
        )
        assert response.status_code == 200, response.text
        async with session_factory() as session:  # each refresh runs: a later one is a new job
            await session.execute(
                update(SyncJob)
                .where(SyncJob.kind == JobKind.REFRESH_PRODUCT_EXTRAS)
                .values(status=JobStatus.DONE)
            )
            await session.commit()
        return await _reprice_jobs(session_factory, JobKind.REFRESH_PRODUCT_EXTRAS)

    base = {**VALID_SETTINGS, "stockLevels": False, "currencyPriceLists": None}
    assert await put(base) == 0
    assert await put({**base, "stockLevels": True}) == 1
    assert await put({**base, "stockLevels": True, "wonStage": 99}) == 1  # still on
    with_euro = {**base, "stockLevels": True, "currencyPriceLists": {"EUR": "EURO"}}
    assert await put(with_euro) == 2
    assert await put({**with_euro, "stockLevels": False}) == 2  # turned off: nothing to write
    euro_elsewhere = {**with_euro, "stockLevels": False, "currencyPriceLists": {"EUR": "EURO2"}}
    assert await put(euro_elsewhere) == 3  # EUR priced from another list


async def test_turning_payment_status_or_document_links_on_queues_the_orders_refresh(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    url = await _settings_url(api_client, admin_headers)
    versions = iter(range(100))

    async def put(settings: dict[str, Any]) -> list[str | None]:
        """Save ``settings``; the refreshes queued so far, by the settings each is for."""
        etag = f'"{next(versions)}"'
        response = await api_client.put(
            url, json=settings, headers=with_if_match(admin_headers, etag)
        )
        assert response.status_code == 200, response.text
        async with session_factory() as session:
            queued = list(
                await session.scalars(
                    select(SyncJob.entity_id)
                    .where(SyncJob.kind == JobKind.REFRESH_ORDER_FIELDS)
                    .order_by(SyncJob.id)
                )
            )
            await session.execute(  # each refresh runs: a later one is a new job
                update(SyncJob)
                .where(SyncJob.kind == JobKind.REFRESH_ORDER_FIELDS)
                .values(status=JobStatus.DONE)
            )
            await session.commit()
        return queued

    base = {**VALID_SETTINGS, "paymentStatus": False, "documentLinks": False}
    assert await put(base) == []
    assert await put({**base, "paymentStatus": True}) == ["paymentStatus"]
    assert await put({**base, "paymentStatus": True, "wonStage": 99}) == ["paymentStatus"]
    both = {**base, "paymentStatus": True, "documentLinks": True}
    assert await put(both) == ["paymentStatus", "documentLinks"]
    assert await put(base) == ["paymentStatus", "documentLinks"]  # turned off: nothing
    assert await put({**both, "creditInvoices": True}) == [
        "paymentStatus",
        "documentLinks",
        "documentLinks+paymentStatus",  # both at once: one refresh
    ]
