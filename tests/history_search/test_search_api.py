"""``GET /api/search``: from a company name or an invoice number to the installation, its link
and the entity's newest jobs, ignoring case (å, ä, ö too), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.history_search.support import seed


async def _search(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> dict[str, Any]:
    response = await client.get("/api/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_a_part_of_a_name_in_any_case_finds_the_installation(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await seed(session_factory)
    found = await _search(api_client, admin_headers, q="  nordisk VERK ")
    assert found["query"] == "nordisk VERK"
    assert [i["id"] for i in found["installations"]] == [seeded.nordisk]
    assert found["installations"][0]["name"] == "Nordisk Verkstad AB"
    assert found["more_installations"] is False
    östra = await _search(api_client, admin_headers, q="ÖSTRA")
    assert [i["id"] for i in östra["installations"]] == [seeded.ostra]


async def test_a_company_name_finds_its_link_and_its_newest_jobs(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await seed(session_factory)
    found = await _search(api_client, admin_headers, q="ÅNGSTRÖM")
    assert found["installations"] == []
    [link] = found["links"]
    assert {k: link[k] for k in ("installation_id", "installation_name", "entity", "matched")} == {
        "installation_id": seeded.nordisk,
        "installation_name": "Nordisk Verkstad AB",
        "entity": "company",
        "matched": "company_name",
    }
    assert (link["name"], link["upsales_id"], link["fortnox_id"]) == ("Ångström Svets AB", 42, "17")
    assert [job["id"] for job in link["recent_jobs"]] == [seeded.company_job]


async def test_an_invoice_number_finds_the_deal_and_why_it_died(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    seeded = await seed(session_factory)
    [link] = (await _search(api_client, admin_headers, q="9001"))["links"]
    assert (link["matched"], link["fortnox_type"], link["upsales_id"]) == (
        "document_number",
        "invoice",
        5,
    )
    [job] = link["recent_jobs"]
    assert (job["id"], job["status"]) == (seeded.invoice_job, "dead")
    assert job["last_error"].startswith("fortnox_refused")


async def test_wildcards_are_plain_characters_and_results_are_capped(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seed(session_factory)
    assert [
        link["name"] for link in (await _search(api_client, admin_headers, q="100%"))["links"]
    ] == ["Ostkusten 100% AB"]
    assert (await _search(api_client, admin_headers, q="%%"))["links"] == []
    capped = await _search(api_client, admin_headers, q="AB", limit="1")
    assert len(capped["installations"]) == 1 and capped["more_installations"] is True
    assert len(capped["links"]) == 1 and capped["more_links"] is True


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": " a "},
        {"q": "x" * 101},
        {"q": "ab\x00"},
        {"q": "ab", "limit": "0"},
        {"q": "ab", "limit": "51"},
    ],
)
async def test_a_query_it_cannot_search_by_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], params: dict[str, str]
) -> None:
    response = await api_client.get("/api/search", params=params, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


async def test_search_needs_the_operator_token(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/api/search", params={"q": "nordisk"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("q", ["ab", " a b ", "Ö" * 100, "ab\u200b", "%_"])
async def test_what_the_schema_allows_is_searched(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], q: str
) -> None:
    """The document states what ``q`` may be, and every such ``q`` is searched (a schema-valid
    request refused would be a client's surprise)."""
    operation = _schema_of_q(await api_client.get("/openapi.json"))
    assert re.fullmatch(operation["pattern"], q) and len(q) <= operation["maxLength"]
    response = await api_client.get("/api/search", params={"q": q}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["query"] == q.strip()


def _schema_of_q(document: httpx.Response) -> dict[str, Any]:
    parameters = document.json()["paths"]["/api/search"]["get"]["parameters"]
    return next(p["schema"] for p in parameters if p["name"] == "q")
