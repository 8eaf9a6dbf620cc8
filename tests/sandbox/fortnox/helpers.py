"""Helpers shared by the Fortnox sandbox tests."""

from __future__ import annotations

import httpx

from ufs_sandboxes.fortnox import FortnoxSandbox

BASE_URL = "http://fortnox.test"


def client_for(sandbox: FortnoxSandbox, access_token: str | None = None) -> httpx.AsyncClient:
    headers = {"Accept": "application/json"}
    if access_token is not None:
        headers["Authorization"] = f"Bearer {access_token}"
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url=BASE_URL, headers=headers
    )
