"""The console in a real browser (Debian's Chromium through Playwright) against the service
served on a loopback port, with both sandboxes: log in, retry a dead job and see it done,
search an entity's history, watch the initial sync's progress bar move, and the pages refused
without a session or after logging out, usable at 375 px and by keyboard. Each page's
screenshot is saved under ``test-artifacts/console/``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.console.browser import (
    LOW_CONTRAST,
    PAGE_OVERFLOW,
    PHONE,
    UNLABELLED_CONTROLS,
    LiveService,
    browser,
    log_in,
    new_page,
    screenshot,
    serve,
)
from tests.e2e.harness import ADMIN_TOKEN, SyncHarness, build_harness, harness_settings
from tests.e2e.outbound_support import job, link_demo_products, queue, win
from tests.history_search.support import seed
from upsales_fortnox.core.db.engine import create_session_factory
from upsales_fortnox.models.installation import FortnoxCredentials
from upsales_fortnox.vocabulary import JobStatus

__all__ = ["browser"]

pytestmark = pytest.mark.e2e


class FortnoxGate:
    """Stands in front of the Fortnox sandbox: while closed, requests under ``held`` wait."""

    def __init__(self, app: Any, held: str = "/3/articles") -> None:
        self.app = app
        self.held = held
        self.opened = asyncio.Event()
        self.opened.set()
        self.holding = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        held = scope["type"] == "http" and scope["path"].startswith(self.held)
        if held and not self.opened.is_set():
            self.holding.set()
            await self.opened.wait()
        await self.app(scope, receive, send)


class Console:
    def __init__(self, harness: SyncHarness, live: LiveService, gate: FortnoxGate) -> None:
        self.harness = harness
        self.live = live
        self.gate = gate
        self.origin = live.origin
        self.page_of_installation = f"{live.origin}/console/installations/{harness.installation_id}"


@pytest.fixture
async def console(database_url: str, engine: AsyncEngine) -> AsyncIterator[Console]:
    gates: list[FortnoxGate] = []

    def wrap(app: Any) -> FortnoxGate:
        gates.append(FortnoxGate(app))
        return gates[0]

    harness = await build_harness(harness_settings(database_url), engine, wrap_fortnox_app=wrap)
    live = await serve(harness.app)
    try:
        yield Console(harness, live, gates[0])
    finally:
        gates[0].opened.set()
        await live.stop()
        await harness.service.aclose()
        await harness.services.http.aclose()


async def _dead_order_job(harness: SyncHarness) -> int:
    """A won order whose job dies: its products have no Fortnox article yet."""
    win(harness, harness.demo.opportunity_id)
    job_id = await queue(harness, "upsales.order", harness.demo.opportunity_id)
    await harness.run_jobs()
    dead = await job(harness, job_id)
    assert dead.status == JobStatus.DEAD
    assert (dead.last_error or "").startswith("product_not_in_fortnox:")
    return job_id


async def test_a_dead_job_is_retried_done_and_found_in_the_entity_history(
    console: Console, browser: Browser, backend: str
) -> None:
    harness = console.harness
    job_id = await _dead_order_job(harness)
    page = await new_page(browser)
    await log_in(page, console.origin, ADMIN_TOKEN)
    await expect(page.get_by_role("link", name="Demo Konsult AB")).to_be_visible()
    await expect(page.locator("tbody")).to_contain_text("dead_jobs")
    await screenshot(page, f"installations-{backend}")
    await page.get_by_role("link", name="Demo Konsult AB").click()
    await expect(page.locator("#health")).to_contain_text("dead_jobs")
    await screenshot(page, f"installation-{backend}")

    await page.get_by_role("navigation").get_by_role("link", name="Queue").click()
    row = page.locator(f'#dead-jobs tr[data-job-id="{job_id}"]')
    await expect(row).to_contain_text("product_not_in_fortnox")
    await expect(row.get_by_role("link", name="Demo Konsult AB")).to_be_visible()  # whose
    await expect(page.locator('[data-count="dead"]')).to_have_text("1")
    await screenshot(page, f"queue-{backend}")

    await link_demo_products(harness)  # the operator fixes the cause, then retries
    await row.get_by_role("button", name=f"Retry job {job_id}").click()
    await expect(page.locator("#job-status")).to_have_text("queued")
    await expect(page.get_by_role("status")).to_contain_text(f"Job {job_id} is queued again")
    await harness.run_jobs()
    finished = await job(harness, job_id)
    assert finished.status == JobStatus.DONE, finished.last_error
    await page.reload()
    await expect(page.locator("#job-status")).to_have_text("done")
    await screenshot(page, f"job-{backend}")
    invoice_number = str(finished.result["fortnox_invoice"])  # type: ignore[index]

    await page.goto(f"{console.page_of_installation}/history")
    await page.get_by_label("Entity", exact=True).select_option("order")
    await page.get_by_label("Upsales id", exact=True).fill(str(harness.demo.opportunity_id))
    await page.get_by_role("button", name="Search").click()
    history_row = page.locator("#history tbody tr").filter(has_text=f"{job_id}")
    await expect(history_row).to_contain_text(f"fortnox_invoice={invoice_number}")
    await screenshot(page, f"history-{backend}")

    await page.get_by_label("Upsales id", exact=True).fill("")
    await page.get_by_label("Fortnox id", exact=True).fill(invoice_number)
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#history tbody tr").filter(has_text=f"{job_id}")).to_be_visible()

    await page.get_by_label("Fortnox id", exact=True).fill("")
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_role("alert")).to_contain_text("validation_error")


async def test_the_initial_sync_progress_bar_moves_and_the_preview_writes_nothing(
    console: Console, browser: Browser, backend: str
) -> None:
    harness = console.harness
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"Name": f"Bröderna Kund {n} AB", "CustomerNumber": f"K{n}"} for n in (1, 2, 3)],
    )
    page = await new_page(browser)
    await log_in(page, console.origin, ADMIN_TOKEN)
    await page.goto(console.page_of_installation)
    bar = page.get_by_label("Initial sync progress")
    await expect(page.locator("#sync-state")).to_contain_text("No initial sync was started")

    upsales_before = len(harness.upsales_entities("accounts"))
    await page.get_by_role("button", name="Preview (dry run)").click()
    await expect(page.locator("#preview")).to_contain_text("customers")
    await screenshot(page, f"preview-{backend}")
    assert len(harness.upsales_entities("accounts")) == upsales_before

    await page.goto(console.page_of_installation)
    console.gate.opened.clear()
    await page.get_by_role("button", name="Start the initial sync").click()
    await expect(page.get_by_role("status")).to_contain_text("Initial sync queued")
    worker = asyncio.create_task(harness.run_jobs())
    await console.gate.holding.wait()  # customers imported, articles held back
    await expect(page.locator("#sync-state")).to_have_attribute("data-status", "running")
    await page.wait_for_function(
        "() => { const v = document.getElementById('sync-progress').value;"
        " return v > 0 && v < 100; }"
    )
    midway = await bar.evaluate("bar => bar.value")
    await screenshot(page, f"initial-sync-running-{backend}")
    console.gate.opened.set()
    await worker
    await expect(page.locator("#sync-state")).to_have_attribute("data-status", "done")
    await expect(bar).to_have_js_property("value", 100)
    assert 0 < midway < 100
    await screenshot(page, f"initial-sync-done-{backend}")
    assert len(harness.upsales_entities("accounts")) >= upsales_before + 3


async def test_jobs_parked_for_a_fortnox_login_are_listed_on_the_installation_page(
    console: Console, browser: Browser
) -> None:
    harness = console.harness
    await link_demo_products(harness)
    async with harness.services.session_factory() as session:
        credentials = await session.get(FortnoxCredentials, harness.installation_id)
        assert credentials is not None
        refresh_token = harness.services.secret_box.decrypt(credentials.refresh_token_enc or "")
    harness.fortnox.oauth.revoke(refresh_token)  # the admin revoked the integration in Fortnox
    win(harness, harness.demo.opportunity_id)
    job_id = await queue(harness, "upsales.order", harness.demo.opportunity_id)
    await harness.run_jobs()
    parked = await job(harness, job_id)
    assert parked.status == JobStatus.QUEUED  # waits for the login, its attempt uncounted

    page = await new_page(browser)
    await log_in(page, console.origin, ADMIN_TOKEN)
    await page.goto(console.page_of_installation)
    waiting = page.locator("#waiting")
    await expect(waiting).to_contain_text("log in to Fortnox again")
    row = waiting.locator(f'tr[data-job-id="{job_id}"]')
    await expect(row).to_contain_text("upsales.order")
    await expect(row).to_contain_text(str(harness.demo.opportunity_id))
    await row.get_by_role("link", name=str(job_id)).click()
    await expect(page.locator("#job-status")).to_have_text("queued")


async def test_a_complaint_naming_a_company_leads_to_its_installation_link_and_jobs(
    console: Console, browser: Browser, engine: AsyncEngine, backend: str
) -> None:
    seeded = await seed(create_session_factory(engine))
    page = await new_page(browser)
    await log_in(page, console.origin, ADMIN_TOKEN)
    await page.get_by_role("navigation").get_by_role("link", name="Search").click()
    await page.get_by_label("Name or document number").fill("nordisk verk")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#found-installations")).to_contain_text("Nordisk Verkstad AB")
    await page.get_by_label("Name or document number").fill("ÅNGSTRÖM")
    await page.get_by_role("button", name="Search").click()
    row = page.locator("#found-links tbody tr")
    await expect(row).to_contain_text("Ångström Svets AB")
    await expect(row.get_by_role("link", name="Nordisk Verkstad AB")).to_be_visible()
    await expect(row.get_by_role("link", name=str(seeded.company_job))).to_be_visible()
    await screenshot(page, f"search-{backend}")
    await page.get_by_label("Name or document number").fill("9001")
    await page.get_by_role("button", name="Search").click()
    await expect(row).to_contain_text("fortnox_refused")
    await row.get_by_role("link", name="Full history").click()
    await expect(page.locator("#history")).to_contain_text(str(seeded.invoice_job))
    refused = await page.goto(f"{console.origin}/console/search?q=x")
    assert refused is not None and refused.status == 422
    await expect(page.get_by_role("alert")).to_contain_text("validation_error")


def _pages(console: Console) -> list[str]:
    return [
        f"{console.origin}/console",
        f"{console.origin}/console/queue",
        console.page_of_installation,
        f"{console.page_of_installation}/history?entity=order&upsales_id=1",
        f"{console.origin}/console/search?q=nordisk",
    ]


async def test_pages_refuse_without_a_session(console: Console, browser: Browser) -> None:
    await _dead_order_job(console.harness)
    page = await new_page(browser)
    for url in _pages(console):
        await page.goto(url)
        assert page.url == f"{console.origin}/console/login", url
        await expect(page.get_by_label("Operator token")).to_be_visible()
        assert "Demo Konsult AB" not in await page.content()
    refused = await page.request.post(
        f"{console.origin}/console/jobs/1/retry", form={"csrf_token": "guess"}
    )
    assert refused.status == 401
    await screenshot(page, "login")


async def test_logging_out_ends_the_session_for_every_copy_of_its_cookie(
    console: Console, browser: Browser
) -> None:
    page = await new_page(browser)
    await log_in(page, console.origin, ADMIN_TOKEN)
    elsewhere = await browser.new_context()  # the same cookie, copied to another browser
    await elsewhere.add_cookies(await page.context.cookies())
    copy = await elsewhere.new_page()
    await copy.goto(f"{console.origin}/console/queue")
    assert copy.url == f"{console.origin}/console/queue"
    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url(f"{console.origin}/console/login")
    for url in _pages(console):
        for tab in (page, copy):
            await tab.goto(url)
            assert tab.url == f"{console.origin}/console/login", url
    await elsewhere.close()


async def test_pages_work_at_375_px_by_keyboard_with_labels_and_contrast(
    console: Console, browser: Browser
) -> None:
    await _dead_order_job(console.harness)
    page = await new_page(browser, PHONE)
    await page.goto(f"{console.origin}/console/login")
    await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.activeElement.className") == "skip"
    await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.activeElement.id") == "token"
    await page.keyboard.type(ADMIN_TOKEN)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{console.origin}/console")
    for url in _pages(console):
        await page.goto(url)
        assert await page.evaluate(UNLABELLED_CONTROLS) == [], url
        assert await page.evaluate(PAGE_OVERFLOW) <= 0, url
        assert await page.evaluate(LOW_CONTRAST) == [], url
    await page.goto(f"{console.origin}/console/queue")
    await screenshot(page, "queue-375px")
    await page.goto(console.page_of_installation)
    await screenshot(page, "installation-375px")
