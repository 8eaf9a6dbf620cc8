"""Driving the browser's part of the Fortnox login through the service and the sandbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import func, select

from tests.e2e.harness import SyncHarness
from upsales_fortnox.activation.login_link import LoginLinkSigner
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.vocabulary import InstallationStatus


async def pending_installation(harness: SyncHarness, name: str = "New customer AB") -> uuid.UUID:
    """A second installation, waiting for its Fortnox login (same Upsales account)."""
    box = harness.services.secret_box
    async with harness.services.session_factory() as session:
        installation = Installation(
            name=name,
            status=InstallationStatus.PENDING_LOGIN,
            upsales_api_token_enc=box.encrypt(harness.demo.api_key),
        )
        session.add(installation)
        await session.commit()
        return installation.id


def login_link(harness: SyncHarness, installation_id: uuid.UUID) -> str:
    """The signed login link the operator API hands out for the installation."""
    settings = harness.services.settings
    signer = LoginLinkSigner(settings.secret_key.get_secret_value())
    return signer.url(settings.public_base_url, installation_id, now=datetime.now(UTC))


async def start_login(harness: SyncHarness, installation_id: uuid.UUID) -> str:
    """The authorization URL the service redirects the browser to (the browser, the harness's
    service client, keeps the login cookie it sets)."""
    response = await harness.service.get(login_link(harness, installation_id))
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def consent(harness: SyncHarness, authorization_url: str) -> str:
    """Fortnox's answer to the browser: the callback path and query it redirects to."""
    response = await harness.services.http.get(authorization_url)
    assert response.status_code == 302, response.text
    target = urlsplit(response.headers["location"])
    return f"{target.path}?{target.query}"


def query_of(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def with_query(path: str, **values: str) -> str:
    base, _, query = path.partition("?")
    params = {key: values_[-1] for key, values_ in parse_qs(query).items()}
    params.update(values)
    return f"{base}?{urlencode(params)}"


@dataclass(frozen=True)
class InstallationSnapshot:
    status: str
    status_reason: str | None
    fortnox_tenant_id: str | None
    version: int
    credentials: tuple[str, str] | None


async def snapshot(harness: SyncHarness, installation_id: uuid.UUID) -> InstallationSnapshot:
    async with harness.services.session_factory() as session:
        installation = await session.get(Installation, installation_id)
        assert installation is not None
        credentials = await session.get(FortnoxCredentials, installation_id)
        return InstallationSnapshot(
            status=installation.status,
            status_reason=installation.status_reason,
            fortnox_tenant_id=installation.fortnox_tenant_id,
            version=installation.version,
            credentials=None
            if credentials is None
            else (credentials.access_token_enc, credentials.refresh_token_enc),
        )


async def credential_rows(harness: SyncHarness) -> int:
    async with harness.services.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(FortnoxCredentials)) or 0)
