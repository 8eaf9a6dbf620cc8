"""Helpers for the console tests: a logged-in httpx client and reading CSRF tokens off pages."""

from __future__ import annotations

import re

import httpx

#: The console's cookies are Secure; httpx sends them only over https.
CONSOLE_ORIGIN = "https://service.test"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


async def log_in(client: httpx.AsyncClient, token: str) -> str:
    """Log in through the form; the CSRF token of the session's pages."""
    form = await client.get("/console/login")
    assert form.status_code == 200
    response = await client.post(
        "/console/login", data={"token": token, "csrf_token": csrf_of(form.text)}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console"
    index = await client.get("/console")
    assert index.status_code == 200
    return csrf_of(index.text)
