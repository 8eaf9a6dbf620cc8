"""Operator API: a Fortnox customer number as long as Fortnox allows is accepted wherever a
Fortnox id is asked for (link lookups and edits, job and history filters, replays); a longer
one, or one the tables cannot keep (see :mod:`upsales_fortnox.models.fortnox_ids`), is refused
with a 422 and its stable code."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import add_job, create_installation
from upsales_fortnox.integrations.fortnox.limits import MAX_CUSTOMER_NUMBER_LENGTH

LONGEST = ("K-" + "0123456789" * 103)[:MAX_CUSTOMER_NUMBER_LENGTH]
REFUSED = [
    pytest.param("7" * (MAX_CUSTOMER_NUMBER_LENGTH + 1), id="one-too-many"),
    pytest.param("\u4e2d" * MAX_CUSTOMER_NUMBER_LENGTH, id="three-bytes-each"),
]


async def _installation(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    return str((await create_installation(client, headers))["id"])


def _link(fortnox_id: str) -> dict[str, Any]:
    return {
        "entity": "company",
        "upsales_id": 7,
        "fortnox_type": "customer",
        "fortnox_id": fortnox_id,
    }


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


async def test_a_link_to_the_longest_customer_number_is_made_and_found(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    url = f"/api/installations/{await _installation(api_client, admin_headers)}/links"

    made = await api_client.post(url, json=_link(LONGEST), headers=admin_headers)
    found = await api_client.get(url, params={"fortnox_id": LONGEST}, headers=admin_headers)

    assert made.status_code == 201, made.text
    assert [item["fortnox_id"] for item in found.json()["items"]] == [LONGEST]


@pytest.mark.parametrize("fortnox_id", REFUSED)
async def test_a_link_to_a_number_the_tables_cannot_keep_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], fortnox_id: str
) -> None:
    url = f"/api/installations/{await _installation(api_client, admin_headers)}/links"

    _refused(await api_client.post(url, json=_link(fortnox_id), headers=admin_headers))
    _refused(await api_client.get(url, params={"fortnox_id": fortnox_id}, headers=admin_headers))
    assert (await api_client.get(url, headers=admin_headers)).json()["items"] == []


async def test_jobs_and_history_are_found_by_the_longest_customer_number(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = await _installation(api_client, admin_headers)
    job_id = await add_job(
        session_factory, installation, kind="fortnox.customer", entity_id=LONGEST
    )
    await add_job(session_factory, installation, kind="fortnox.customer", entity_id="1")

    jobs = await api_client.get("/api/jobs", params={"entity_id": LONGEST}, headers=admin_headers)
    history = await api_client.get(
        f"/api/installations/{installation}/history",
        params={"entity": "company", "fortnox_id": LONGEST},
        headers=admin_headers,
    )

    assert [item["id"] for item in jobs.json()["items"]] == [job_id]
    assert history.status_code == 200, history.text
    assert [item["id"] for item in history.json()["jobs"]] == [job_id]


@pytest.mark.parametrize("fortnox_id", REFUSED)
async def test_job_and_history_filters_refuse_a_number_the_tables_cannot_keep(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], fortnox_id: str
) -> None:
    installation = await _installation(api_client, admin_headers)

    _refused(
        await api_client.get("/api/jobs", params={"entity_id": fortnox_id}, headers=admin_headers)
    )
    _refused(
        await api_client.get(
            f"/api/installations/{installation}/history",
            params={"entity": "company", "fortnox_id": fortnox_id},
            headers=admin_headers,
        )
    )


@pytest.mark.parametrize("number", [LONGEST, "AB+12/3"])  # letters, digits and -+/_
async def test_a_customer_with_the_longest_number_is_replayed(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], number: str
) -> None:
    url = f"/api/installations/{await _installation(api_client, admin_headers)}/replay"

    replayed = await api_client.post(
        url, json={"kind": "fortnox.customer", "entity_id": number}, headers=admin_headers
    )

    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["job"]["entity_id"] == number


@pytest.mark.parametrize(
    ("kind", "fortnox_id"),
    [
        pytest.param("fortnox.customer", "7" * (MAX_CUSTOMER_NUMBER_LENGTH + 1), id="long"),
        pytest.param("fortnox.customer", "\u4e2d" * MAX_CUSTOMER_NUMBER_LENGTH, id="wide"),
        pytest.param("fortnox.article", "A" * 51, id="article"),  # at most 50 characters
    ],
)
async def test_a_replay_of_a_number_the_tables_cannot_keep_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], kind: str, fortnox_id: str
) -> None:
    url = f"/api/installations/{await _installation(api_client, admin_headers)}/replay"

    refused = await api_client.post(
        url, json={"kind": kind, "entity_id": fortnox_id}, headers=admin_headers
    )

    _refused(refused)
