"""Two Fortnox logins of one installation, to two different companies, racing each other.

Whatever the interleaving, one login wins and the other is refused (``tenant_mismatch``): the
installation ends with the tenant of the tokens it stores, never one company's tokens under the
other company's tenant, nor a connected company silently swapped for another.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.activation.conftest import MovableClock
from tests.activation.login_flow import consent, pending_installation, query_of, snapshot
from tests.activation.login_flow import login_link as signed_login_link
from tests.e2e.harness import SyncHarness
from upsales_fortnox.activation.errors import ActivationError
from upsales_fortnox.activation.login import FortnoxLogin
from upsales_fortnox.activation.router import LOGIN_COOKIE
from upsales_fortnox.installations.fortnox_tokens import DbTokenStore
from upsales_fortnox.integrations.fortnox.oauth import tenant_id_from_access_token


@dataclass(frozen=True)
class Callback:
    code: str
    state: str
    binding: str


async def consented_login(
    harness: SyncHarness, installation_id: uuid.UUID, tenant: int
) -> Callback:
    """A login started (in a browser of its own) and consented to for ``tenant``."""
    started = await harness.service.get(signed_login_link(harness, installation_id))
    assert started.status_code == 302, started.text
    (binding,) = [v for k, v in started.cookies.items() if k.startswith(LOGIN_COOKIE)]
    harness.fortnox.set_consent_tenant(tenant)
    query = query_of(await consent(harness, started.headers["location"]))
    return Callback(query["code"], query["state"], binding)


async def finish(harness: SyncHarness, callback: Callback) -> str:
    """``connected`` or the code the login was refused with."""
    try:
        await FortnoxLogin(harness.services).complete(
            code=callback.code, state=callback.state, bindings=[callback.binding]
        )
    except ActivationError as error:
        return error.code
    return "connected"


@pytest.mark.parametrize(
    "other_login_runs", ["after_the_tenant_check", "after_the_tokens_are_saved"]
)
async def test_racing_logins_to_two_companies_keep_tenant_and_tokens_together(
    harness: SyncHarness,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
    other_login_runs: str,
) -> None:
    installation_id = await pending_installation(harness)
    first_tenant = harness.fortnox.create_tenant("Första AB")
    second_tenant = harness.fortnox.create_tenant("Andra AB")
    first = await consented_login(harness, installation_id, first_tenant)
    second = await consented_login(harness, installation_id, second_tenant)
    outcomes: dict[str, str] = {}

    async def run_the_second_login_once() -> None:
        if "second" not in outcomes:
            outcomes["second"] = "running"
            outcomes["second"] = await finish(harness, second)

    if other_login_runs == "after_the_tenant_check":
        real_check = FortnoxLogin._check_tenant

        async def check_then_race(self: FortnoxLogin, *args: Any) -> None:
            await real_check(self, *args)
            await run_the_second_login_once()

        monkeypatch.setattr(FortnoxLogin, "_check_tenant", check_then_race)
    else:
        real_save = DbTokenStore.save_initial

        async def save_then_race(self: DbTokenStore, *args: Any, **kwargs: Any) -> None:
            await real_save(self, *args, **kwargs)
            await run_the_second_login_once()

        monkeypatch.setattr(DbTokenStore, "save_initial", save_then_race)

    outcomes["first"] = await finish(harness, first)

    assert sorted(outcomes.values()) == ["connected", "tenant_mismatch"], outcomes
    winner = first_tenant if outcomes["first"] == "connected" else second_tenant
    after = await snapshot(harness, installation_id)
    assert after.fortnox_tenant_id == str(winner)
    harness.services.token_store._cache.clear()  # read what is stored, not what was last seen
    stored_token = await harness.services.token_store.access_token(installation_id)
    assert tenant_id_from_access_token(stored_token) == str(winner)
