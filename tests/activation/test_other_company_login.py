"""A login with another Fortnox company than the installation's: the admin is told what to do
in either case (log in with the right company, or have the connection moved), and nothing
the service does not offer."""

from __future__ import annotations

import html

from tests.activation.conftest import MovableClock
from tests.activation.login_flow import consent, pending_installation, snapshot, start_login
from tests.e2e.harness import SyncHarness
from upsales_fortnox.core.texts import say

BROWSER = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "sv-SE"}
ENGLISH = {"Accept": "text/html", "Accept-Language": "en-GB,en;q=0.8"}


async def test_a_login_with_another_company_says_how_to_go_on_either_way(
    harness: SyncHarness, clock: MovableClock
) -> None:
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant("Nytt Företag AB"))
    before = await snapshot(harness, harness.installation_id)

    page = await harness.service.get(
        await consent(harness, await start_login(harness, harness.installation_id)),
        headers=BROWSER,
    )
    english = await harness.service.get(
        await consent(harness, await start_login(harness, harness.installation_id)),
        headers=ENGLISH,
    )
    answer = await harness.service.get(
        await consent(harness, await start_login(harness, harness.installation_id))
    )

    assert page.status_code == english.status_code == answer.status_code == 409
    text = html.unescape(page.text)
    assert say("login.failed.other_company", "sv") in text
    assert "Logga in med det Fortnox-företag som redan är kopplat" in text  # by mistake
    assert "kontakta administratören av integrationen" in text  # meant to move it
    assert "Upsales-konto" not in text  # not the other refusal's text
    assert say("login.failed.other_company", "en") in html.unescape(english.text)
    error = answer.json()["error"]
    assert error["code"] == "tenant_mismatch"
    assert "disconnect" not in error["message"]  # no such feature
    assert "delete the installation" in error["message"]  # the one way there is
    assert await snapshot(harness, harness.installation_id) == before


async def test_a_company_connected_to_another_account_has_its_own_text(
    harness: SyncHarness, clock: MovableClock
) -> None:
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.tenant_id)  # the harness installation's company

    page = await harness.service.get(
        await consent(harness, await start_login(harness, installation_id)), headers=BROWSER
    )

    assert page.status_code == 409
    text = html.unescape(page.text)
    assert say("login.failed.company_taken", "sv") in text
    assert "annat Upsales-konto" in text
    assert "kontakta administratören av integrationen" in text
