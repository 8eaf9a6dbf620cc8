"""Operator API: setting a link by hand (to settle an ambiguous match) and deleting one."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import create_installation
from upsales_fortnox.models.fortnox_ids import MAX_FORTNOX_ID_LENGTH
from upsales_fortnox.models.link import Link

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def _body(**overrides: Any) -> dict[str, Any]:
    return {
        "entity": "company",
        "upsales_id": 7,
        "fortnox_type": "customer",
        "fortnox_id": "1042",
        **overrides,
    }


async def _links(session_factory: async_sessionmaker[AsyncSession]) -> list[tuple[Any, ...]]:
    async with session_factory() as session:
        rows = await session.execute(
            select(
                Link.installation_id,
                Link.entity,
                Link.upsales_id,
                Link.fortnox_type,
                Link.fortnox_id,
            ).order_by(Link.id)
        )
        return [tuple(row) for row in rows]


async def test_a_link_set_by_hand_is_created_and_listed(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = await create_installation(api_client, admin_headers)
    url = f"/api/installations/{installation['id']}/links"

    created = await api_client.post(url, json=_body(), headers=admin_headers)

    assert created.status_code == 201, created.text
    link = created.json()
    assert link["entity"] == "company"
    assert link["upsales_id"] == 7
    assert link["fortnox_type"] == "customer"
    assert link["fortnox_id"] == "1042"
    assert link["fingerprint"] is None
    assert link["synced_at"] is None
    listed = await api_client.get(created.headers["Location"], headers=admin_headers)
    assert [item["id"] for item in listed.json()["items"]] == [link["id"]]
    assert await _links(session_factory) == [
        (uuid.UUID(installation["id"]), "company", 7, "customer", "1042")
    ]


async def test_an_order_may_link_to_an_order_and_an_invoice(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    installation = await create_installation(api_client, admin_headers)
    url = f"/api/installations/{installation['id']}/links"
    order = _body(entity="order", upsales_id=5, fortnox_type="order", fortnox_id="9001")
    invoice = {**order, "fortnox_type": "invoice"}

    assert (await api_client.post(url, json=order, headers=admin_headers)).status_code == 201
    assert (await api_client.post(url, json=invoice, headers=admin_headers)).status_code == 201


@pytest.mark.parametrize(
    "overrides",
    [
        {"upsales_id": 7, "fortnox_id": "2000"},  # the Upsales company is linked already
        {"upsales_id": 8, "fortnox_id": "1042"},  # the Fortnox customer is linked already
        {"upsales_id": 7, "fortnox_id": "1042"},  # the very same link
    ],
)
async def test_a_side_linked_already_is_a_conflict(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    overrides: dict[str, Any],
) -> None:
    installation = await create_installation(api_client, admin_headers)
    url = f"/api/installations/{installation['id']}/links"
    first = await api_client.post(url, json=_body(), headers=admin_headers)
    before = await _links(session_factory)

    response = await api_client.post(url, json=_body(**overrides), headers=admin_headers)

    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "link_conflict"
    assert response.json()["error"]["details"] == {"existing_link_id": first.json()["id"]}
    assert await _links(session_factory) == before


async def test_links_of_another_installation_do_not_conflict(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    mine = await create_installation(api_client, admin_headers)
    other = await create_installation(api_client, admin_headers, name="Other")
    for installation in (mine, other):
        response = await api_client.post(
            f"/api/installations/{installation['id']}/links", json=_body(), headers=admin_headers
        )
        assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "overrides",
    [
        {"entity": "company", "fortnox_type": "article"},
        {"entity": "product", "fortnox_type": "customer"},
        {"entity": "order", "fortnox_type": "customer"},
        {"entity": "supplier"},
        {"fortnox_type": "voucher"},
        {"upsales_id": 0},
        {"upsales_id": "7"},
        {"upsales_id": 2_147_483_648},
        {"fortnox_id": ""},
        {"fortnox_id": "10 42"},
        {"fortnox_id": "x" * (MAX_FORTNOX_ID_LENGTH + 1)},
        {"fortnox_id": "\u4e2d" * MAX_FORTNOX_ID_LENGTH},  # more than an index entry holds
        {"entity": "product", "fortnox_type": "article", "fortnox_id": "A" * 51},
        {"entity": "order", "fortnox_type": "invoice", "fortnox_id": "1" * 51},
        {"color": "blue"},
        # a Fortnox order, invoice or offer is known by its number: the deal's sync reads it
        # as one, so a typo would fail every run of the deal instead of being refused here
        *(
            {"entity": "order", "fortnox_type": document, "fortnox_id": number}
            for document, number in [
                ("invoice", "A12"),
                ("order", "12-1"),
                ("offer", "0"),
                ("invoice", "007"),
                ("invoice", "\u0663"),  # an Arabic-Indic three: a digit, but not one Fortnox uses
            ]
        ),
    ],
)
async def test_an_invalid_link_is_422(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    overrides: dict[str, Any],
) -> None:
    installation = await create_installation(api_client, admin_headers)

    response = await api_client.post(
        f"/api/installations/{installation['id']}/links",
        json=_body(**overrides),
        headers=admin_headers,
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert await _links(session_factory) == []


async def test_a_missing_field_is_422(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    installation = await create_installation(api_client, admin_headers)
    body = _body()
    del body["fortnox_id"]
    response = await api_client.post(
        f"/api/installations/{installation['id']}/links", json=body, headers=admin_headers
    )
    assert response.status_code == 422


async def test_a_link_for_an_unknown_installation_is_404(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await api_client.post(
        f"/api/installations/{UNKNOWN_ID}/links", json=_body(), headers=admin_headers
    )
    deleted = await api_client.delete(
        f"/api/installations/{UNKNOWN_ID}/links/1", headers=admin_headers
    )
    for response in (created, deleted):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "installation_not_found"


async def test_delete_forgets_the_link_and_frees_both_sides(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = await create_installation(api_client, admin_headers)
    url = f"/api/installations/{installation['id']}/links"
    link = (await api_client.post(url, json=_body(), headers=admin_headers)).json()

    deleted = await api_client.delete(f"{url}/{link['id']}", headers=admin_headers)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert await _links(session_factory) == []
    again = await api_client.delete(f"{url}/{link['id']}", headers=admin_headers)
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "link_not_found"
    relinked = await api_client.post(url, json=_body(fortnox_id="2000"), headers=admin_headers)
    assert relinked.status_code == 201


async def test_a_link_of_another_installation_cannot_be_deleted(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    mine = await create_installation(api_client, admin_headers)
    other = await create_installation(api_client, admin_headers, name="Other")
    link = (
        await api_client.post(
            f"/api/installations/{other['id']}/links", json=_body(), headers=admin_headers
        )
    ).json()

    response = await api_client.delete(
        f"/api/installations/{mine['id']}/links/{link['id']}", headers=admin_headers
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "link_not_found"
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Link)) == 1


@pytest.mark.parametrize("link_id", ["0", "abc", "9223372036854775808"])
async def test_a_bad_link_id_is_422(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], link_id: str
) -> None:
    installation = await create_installation(api_client, admin_headers)
    response = await api_client.delete(
        f"/api/installations/{installation['id']}/links/{link_id}", headers=admin_headers
    )
    assert response.status_code == 422
