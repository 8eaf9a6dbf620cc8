"""The console over HTTP: its login, session and CSRF gates, errors as the API words them,
bulk retry with its dry run, and pages that reveal no secret."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import add_job, create_installation, settled_and_waiting
from tests.conftest import ADMIN_TOKEN
from tests.console.support import CONSOLE_ORIGIN, csrf_of, log_in
from upsales_fortnox.console import routes, routes_installations, routes_queue
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.fortnox.limits import MAX_CUSTOMER_NUMBER_LENGTH
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.models.operations import EndedConsoleSession
from upsales_fortnox.vocabulary import JobStatus

UPSALES_KEY = "upsales-api-key-secret-4711"
WEBHOOK_SECRET = "whsec_console-test-secret-0815"


@pytest.fixture
async def console(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE_ORIGIN) as client:
        yield client


async def _installation(console: httpx.AsyncClient, admin_headers: dict[str, str]) -> str:
    created = await create_installation(
        console,
        admin_headers,
        upsales_customer_id=4711,
        upsales_api_token=UPSALES_KEY,
        webhook_secret=WEBHOOK_SECRET,
    )
    return str(created["id"])


PAGES = ("/console", "/console/queue", "/console/jobs/1")


@pytest.mark.parametrize("path", PAGES)
async def test_pages_send_a_browser_without_a_session_to_the_login_form(
    console: httpx.AsyncClient, path: str
) -> None:
    response = await console.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"
    console.cookies.set("ufs_console_session", "1.abc.def", domain="service.test")
    forged = await console.get(path)
    assert forged.status_code == 303


@pytest.mark.parametrize(
    "cookie",
    [b"ufs_console_session=1.abc.\xc3\xa9", b'ufs_console_session="1.abc.\\351"'],
    ids=["raw-non-ascii", "quoted-octal-escape"],
)
async def test_a_session_cookie_with_non_ascii_text_sends_the_browser_to_the_login_form(
    console: httpx.AsyncClient, cookie: bytes
) -> None:
    """The quoted form is ASCII on the wire; the cookie parser unquotes it to 'é'."""
    response = await console.get("/console", headers={"cookie": cookie})
    assert response.status_code == 303, response.text[:300]
    assert response.headers["location"] == "/console/login"


async def test_login_sets_a_secure_httponly_strict_cookie(console: httpx.AsyncClient) -> None:
    form = await console.get("/console/login")
    assert "Content-Security-Policy" in form.headers
    response = await console.post(
        "/console/login", data={"token": ADMIN_TOKEN, "csrf_token": csrf_of(form.text)}
    )
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("ufs_console_session=")
    )
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/console" in cookie


async def test_a_wrong_token_or_a_missing_login_csrf_is_refused(
    console: httpx.AsyncClient,
) -> None:
    form = await console.get("/console/login")
    wrong = await console.post(
        "/console/login", data={"token": "not-the-token", "csrf_token": csrf_of(form.text)}
    )
    assert wrong.status_code == 401
    assert "unauthorized" in wrong.text
    assert "ufs_console_session" not in console.cookies
    no_csrf = await console.post("/console/login", data={"token": ADMIN_TOKEN})
    assert no_csrf.status_code == 403
    assert "csrf_failed" in no_csrf.text
    assert "ufs_console_session" not in console.cookies


async def test_a_logged_out_session_opens_nothing_again(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Logging out ends the session itself, not only the browser's copy of its cookie: a copy
    kept elsewhere (another tab's jar, a proxy, a stolen one) opens no page and no action."""
    installation_id = await _installation(console, admin_headers)
    job_id = await add_job(session_factory, installation_id, last_error="boom: failed")
    async with session_factory() as session:  # one logged out of long ago, expired since
        session.add(EndedConsoleSession(nonce="old", expires_at=utcnow() - timedelta(hours=2)))
        await session.commit()
    csrf = await log_in(console, ADMIN_TOKEN)
    copy = console.cookies.get("ufs_console_session")
    assert copy is not None
    logged_out = await console.post("/console/logout", data={"csrf_token": csrf})
    assert logged_out.status_code == 303
    assert logged_out.headers["location"] == "/console/login"
    assert "ufs_console_session" not in console.cookies
    console.cookies.set("ufs_console_session", copy, domain="service.test", path="/console")
    page = await console.get("/console")
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login"
    retry = await console.post(f"/console/jobs/{job_id}/retry", data={"csrf_token": csrf})
    assert retry.status_code == 401
    async with session_factory() as session:
        job = await session.get(SyncJob, job_id)
        assert job is not None and job.status == JobStatus.DEAD
        ended = list(await session.scalars(select(EndedConsoleSession.nonce)))
    assert ended == [copy.split(".")[1]]  # the expired one is forgotten
    console.cookies.clear()
    await log_in(console, ADMIN_TOKEN)  # a new login opens a new session


async def test_actions_need_a_session_and_its_csrf_token(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await _installation(console, admin_headers)
    job_id = await add_job(session_factory, installation_id, last_error="boom: it failed")
    anonymous = await console.post(f"/console/jobs/{job_id}/retry", data={"csrf_token": "x"})
    assert anonymous.status_code == 401
    csrf = await log_in(console, ADMIN_TOKEN)
    without = await console.post(f"/console/jobs/{job_id}/retry")
    assert without.status_code == 403
    assert "csrf_failed" in without.text
    forged = await console.post(f"/console/jobs/{job_id}/retry", data={"csrf_token": csrf + "0"})
    assert forged.status_code == 403
    async with session_factory() as session:
        job = await session.get(SyncJob, job_id)
        assert job is not None and job.status == JobStatus.DEAD
    retried = await console.post(f"/console/jobs/{job_id}/retry", data={"csrf_token": csrf})
    assert retried.status_code == 303
    assert retried.headers["location"] == f"/console/jobs/{job_id}"
    page = await console.get(retried.headers["location"])
    assert f"Job {job_id} is queued again" in page.text
    assert "queued again" not in (await console.get(retried.headers["location"])).text
    async with session_factory() as session:
        job = await session.get(SyncJob, job_id)
        assert job is not None and job.status == JobStatus.QUEUED


async def test_errors_carry_the_api_codes_and_status(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await _installation(console, admin_headers)
    queued = await add_job(session_factory, installation_id, status=JobStatus.QUEUED)
    csrf = await log_in(console, ADMIN_TOKEN)
    api = await console.post(f"/api/jobs/{queued}/retry", headers=admin_headers)
    page = await console.post(f"/console/jobs/{queued}/retry", data={"csrf_token": csrf})
    assert page.status_code == api.status_code == 409
    assert api.json()["error"]["code"] == "job_not_dead"
    assert "job_not_dead" in page.text
    assert api.json()["error"]["message"] in page.text
    missing = await console.get("/console/jobs/999999")
    assert missing.status_code == 404
    assert "job_not_found" in missing.text
    bad_link = await console.post(
        f"/console/installations/{installation_id}/links",
        data={
            "csrf_token": csrf,
            "entity": "company",
            "upsales_id": "abc",
            "fortnox_type": "customer",
            "fortnox_id": "1",
        },
    )
    assert bad_link.status_code == 422
    assert "validation_error" in bad_link.text
    assert "upsales_id" in bad_link.text
    bad_history = await console.get(
        f"/console/installations/{installation_id}/history?entity=order&upsales_id=1&fortnox_id=2"
    )
    assert bad_history.status_code == 422
    assert "give exactly one of upsales_id and fortnox_id" in bad_history.text


# "²" is a digit to str.isdigit() that int() refuses; int() reads at most 4,300 digits.
NOT_AN_INT = ("\u00b2", "9" * 5000)


@pytest.mark.parametrize("upsales_id", NOT_AN_INT, ids=["superscript-two", "5000-digits"])
async def test_an_upsales_id_that_is_no_integer_is_a_422_page_and_sets_no_link(
    console: httpx.AsyncClient, admin_headers: dict[str, str], upsales_id: str
) -> None:
    installation_id = await _installation(console, admin_headers)
    csrf = await log_in(console, ADMIN_TOKEN)
    page_url = f"/console/installations/{installation_id}"
    history = await console.get(
        f"{page_url}/history", params={"entity": "order", "upsales_id": upsales_id}
    )
    link = await console.post(
        f"{page_url}/links",
        data={
            "csrf_token": csrf,
            "entity": "order",
            "upsales_id": upsales_id,
            "fortnox_type": "order",
            "fortnox_id": "5",
        },
    )
    for page in (history, link):
        assert page.status_code == 422, page.text[:300]
        assert "validation_error" in page.text
    links = await console.get(f"/api/installations/{installation_id}/links", headers=admin_headers)
    assert links.json()["total"] == 0


async def test_links_are_set_and_removed_by_hand(
    console: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    installation_id = await _installation(console, admin_headers)
    csrf = await log_in(console, ADMIN_TOKEN)
    page_url = f"/console/installations/{installation_id}"
    form = {"csrf_token": csrf, "entity": "company", "upsales_id": "12", "fortnox_type": "customer"}
    created = await console.post(f"{page_url}/links", data={**form, "fortnox_id": "K-1"})
    assert created.status_code == 303
    listed = (
        await console.get(f"/api/installations/{installation_id}/links", headers=admin_headers)
    ).json()
    assert [(link["upsales_id"], link["fortnox_id"]) for link in listed["items"]] == [(12, "K-1")]
    again = await console.post(f"{page_url}/links", data={**form, "fortnox_id": "K-2"})
    assert again.status_code == 409
    assert "link_conflict" in again.text
    link_id = listed["items"][0]["id"]
    removed = await console.post(f"{page_url}/links/{link_id}/delete", data={"csrf_token": csrf})
    assert removed.status_code == 303
    gone = await console.post(f"{page_url}/links/{link_id}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 404
    assert "link_not_found" in gone.text


async def test_bulk_retry_counts_first_then_retries_only_the_matching_dead_jobs(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await _installation(console, admin_headers)
    timeouts = [
        await add_job(session_factory, installation_id, entity_id=str(n), last_error="timeout: x")
        for n in (1, 2)
    ]
    other = await add_job(
        session_factory, installation_id, entity_id="3", last_error="validation: bad"
    )
    csrf = await log_in(console, ADMIN_TOKEN)
    form = {"csrf_token": csrf, "installation_id": installation_id, "reason_code": "timeout"}
    dry_run = await console.post("/console/queue/bulk-retry", data={**form, "action": "count"})
    assert dry_run.status_code == 200
    assert '<output id="bulk-count" aria-live="polite">2 match</output>' in dry_run.text
    async with session_factory() as session:
        statuses = {job_id: (await session.get(SyncJob, job_id)).status for job_id in timeouts}  # type: ignore[union-attr]
    assert set(statuses.values()) == {"dead"}
    done = await console.post("/console/queue/bulk-retry", data={**form, "action": "retry"})
    assert done.status_code == 303
    async with session_factory() as session:
        for job_id in timeouts:
            job = await session.get(SyncJob, job_id)
            assert job is not None and job.status == JobStatus.QUEUED
        untouched = await session.get(SyncJob, other)
        assert untouched is not None and untouched.status == JobStatus.DEAD
    for bad_field in (
        {"installation_id": "nope"},
        {"since": "0001-01-01T00:00:00+14:00"},  # year 0 in UTC
        {"until": "9999-12-31T23:59:59-14:00"},  # year 10000 in UTC
        {"kind": "upsales_order"},  # a typo of upsales.order
    ):
        for action in ("count", "retry"):
            bad = await console.post(
                "/console/queue/bulk-retry", data={**form, **bad_field, "action": action}
            )
            assert bad.status_code == 422, bad_field
            assert "validation_error" in bad.text
            if "kind" in bad_field:  # the kinds there are, named
                assert "upsales.order" in bad.text, bad.text
    async with session_factory() as session:
        untouched = await session.get(SyncJob, other)
        assert untouched is not None and untouched.status == JobStatus.DEAD


async def test_a_bulk_retry_can_leave_out_the_dead_jobs_a_later_job_settled(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await _installation(console, admin_headers)
    settled, waiting = await settled_and_waiting(session_factory, installation_id)
    csrf = await log_in(console, ADMIN_TOKEN)
    form = {"csrf_token": csrf, "installation_id": installation_id, "unsettled_only": "1"}
    dry_run = await console.post("/console/queue/bulk-retry", data={**form, "action": "count"})
    assert '<output id="bulk-count" aria-live="polite">1 match</output>' in dry_run.text
    assert 'name="unsettled_only" type="checkbox" value="1" checked' in dry_run.text
    done = await console.post("/console/queue/bulk-retry", data={**form, "action": "retry"})
    assert done.status_code == 303
    async with session_factory() as session:
        statuses = [(await session.get(SyncJob, job_id)).status for job_id in (settled, waiting)]  # type: ignore[union-attr]
    assert statuses == [JobStatus.DEAD, JobStatus.QUEUED]


async def test_every_installation_is_within_reach_of_the_first_page(
    console: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Operators run the service for many customers: beyond one page of installations, the
    next page lists the rest."""
    async with session_factory() as session:
        session.add_all(Installation(name=f"Kund {number:03d} AB") for number in range(1, 202))
        await session.commit()
    await log_in(console, ADMIN_TOKEN)
    first = await console.get("/console")
    assert "Kund 001 AB" in first.text and "Kund 200 AB" in first.text
    assert "Kund 201 AB" not in first.text
    assert "201 installations" in first.text
    found = re.search(r'<a href="(/console\?offset=\d+)" rel="next">', first.text)
    assert found is not None, "no link to the next page"
    second = await console.get(found.group(1))
    assert second.status_code == 200
    assert "Kund 201 AB" in second.text and "Kund 200 AB" not in second.text
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    for offset in ("-1", "x", "9" * 30):
        refused = await console.get("/console", params={"offset": offset})
        assert refused.status_code == 422, offset


async def test_no_page_reveals_a_secret(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await _installation(console, admin_headers)
    job_id = await add_job(session_factory, installation_id, last_error="boom: failed")
    await log_in(console, ADMIN_TOKEN)
    pages = [
        "/console",
        "/console/queue",
        f"/console/jobs/{job_id}",
        f"/console/installations/{installation_id}",
        f"/console/installations/{installation_id}/history?entity=order&upsales_id=7",
    ]
    for path in pages:
        response = await console.get(path)
        assert response.status_code == 200, (path, response.text)
        for secret in (ADMIN_TOKEN, UPSALES_KEY, WEBHOOK_SECRET, "test-secret-key"):
            assert secret not in response.text, (path, secret)


async def test_job_errors_are_shown_redacted_wherever_the_jobs_api_redacts_them(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Error texts come from remote APIs: the queue page and the history show them as
    ``/api/jobs`` does, with every secret the service knows replaced."""
    installation_id = await _installation(console, admin_headers)
    error = f"upsales_refused: Upsales refused the key {UPSALES_KEY}"
    job_id = await add_job(session_factory, installation_id, entity_id="7", last_error=error)
    await log_in(console, ADMIN_TOKEN)
    api_job = await console.get(f"/api/jobs/{job_id}", headers=admin_headers)
    assert api_job.json()["last_error"] == "upsales_refused: Upsales refused the key [redacted]"
    history = f"/installations/{installation_id}/history?entity=order&upsales_id=7"
    api_history = await console.get(f"/api{history}", headers=admin_headers)
    assert [job["id"] for job in api_history.json()["jobs"]] == [job_id]
    for response in (api_history, await console.get("/console/queue")):
        assert response.status_code == 200
        assert "upsales_refused" in response.text
        assert UPSALES_KEY not in response.text, response.request.url
    console_history = await console.get(f"/console{history}")
    assert f"/console/jobs/{job_id}" in console_history.text
    assert UPSALES_KEY not in console_history.text


async def test_an_entity_is_replayed_by_hand(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await _installation(console, admin_headers)
    csrf = await log_in(console, ADMIN_TOKEN)
    url = f"/console/installations/{installation_id}/replay"
    bad = await console.post(
        url, data={"csrf_token": csrf, "kind": "upsales.order", "entity_id": "K-1"}
    )
    assert bad.status_code == 422
    assert "a upsales.order job needs an Upsales id" in bad.text
    done = await console.post(
        url, data={"csrf_token": csrf, "kind": "upsales.order", "entity_id": "42"}
    )
    assert done.status_code == 303
    jobs = (await console.get("/api/jobs?entity_id=42", headers=admin_headers)).json()["items"]
    assert [(job["kind"], job["status"]) for job in jobs] == [("upsales.order", "queued")]
    assert done.headers["location"] == f"/console/jobs/{jobs[0]['id']}"


def _console_actions() -> list[str]:
    """Every POST route of the console's routers."""
    paths = []
    for router in (routes.router, routes_queue.router, routes_installations.router):
        for route in router.routes:
            if isinstance(route, APIRoute) and "POST" in route.methods:
                paths.append(route.path)
    return sorted(paths)


async def test_every_console_action_needs_a_session_and_its_csrf_token(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await _installation(console, admin_headers)
    job_id = await add_job(session_factory, installation_id, last_error="boom: failed")
    actions = [path for path in _console_actions() if path != "/console/login"]
    assert len(actions) == 8, actions
    urls = [
        path.format(installation_id=installation_id, job_id=job_id, link_id=1) for path in actions
    ]
    for url in urls:
        refused = await console.post(url, data={"csrf_token": "guess"})
        assert refused.status_code == 401, url
        assert "unauthorized" in refused.text
    await log_in(console, ADMIN_TOKEN)
    for url in urls:
        refused = await console.post(url, data={"kind": "upsales.order", "entity_id": "1"})
        assert refused.status_code == 403, url
        assert "csrf_failed" in refused.text
    async with session_factory() as session:
        job = await session.get(SyncJob, job_id)
        assert job is not None and job.status == JobStatus.DEAD
    assert "ufs_console_session" in console.cookies


async def test_the_installation_page_lists_the_jobs_that_wait_and_why(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """An installation whose Fortnox login was refused keeps its jobs queued until the next
    login: the operator sees which deals and companies wait, not only how many."""
    installation_id = await _installation(console, admin_headers)
    parked = "fortnox_reauthorization_required: Fortnox refused the stored login"
    waiting = [
        await add_job(
            session_factory,
            installation_id,
            entity_id=str(order_id),
            status=JobStatus.QUEUED,
            last_error=parked,
        )
        for order_id in (701, 702)
    ]
    dead = await add_job(session_factory, installation_id, entity_id="703")
    async with session_factory() as session:
        installation = await session.get(Installation, uuid.UUID(installation_id))
        assert installation is not None
        installation.status = "needs_relogin"
        await session.commit()
    await log_in(console, ADMIN_TOKEN)

    page = await console.get(f"/console/installations/{installation_id}")
    assert page.status_code == 200
    table = page.text.split('id="waiting"', 1)[1].split("</section>", 1)[0]
    for job_id, order_id in zip(waiting, (701, 702), strict=True):
        assert f'href="/console/jobs/{job_id}"' in table
        assert f"<td>{order_id}</td>" in table
    assert "fortnox_reauthorization_required" in table
    assert "log in to Fortnox" in table  # why they wait
    assert f"/console/jobs/{dead}" not in table


def _dead_rows(page: str) -> dict[int, str]:
    """The queue page's dead-job rows, by job id."""
    table = page.split('id="dead-jobs"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-job-id="(\d+)">(.*?)</tr>', table, flags=re.S)
    return {int(job_id): row for job_id, row in rows}


async def test_the_queue_names_each_dead_jobs_installation_and_reaches_every_dead_job(
    console: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Operators run the service for many customers: a dead job says whose it is and when it
    died, and dead jobs beyond the first page are a click away, not silently left out."""
    died_at = utcnow().replace(microsecond=0) - timedelta(hours=1)
    async with session_factory() as session:
        first = Installation(name="Första Kunden AB")
        second = Installation(name="Andra Kunden AB")
        session.add_all([first, second])
        await session.commit()
        installations = [str(first.id), str(second.id)]
    job_ids = [
        await add_job(
            session_factory,
            installations[number % 2],
            entity_id=str(number),
            last_error="timeout: x",
            finished_at=died_at,
        )
        for number in range(routes_queue.DEAD_SHOWN + 3)
    ]
    await log_in(console, ADMIN_TOKEN)

    page = await console.get("/console/queue")
    assert page.status_code == 200
    shown = _dead_rows(page.text)
    assert sorted(shown) == job_ids[-routes_queue.DEAD_SHOWN :]  # the newest
    for job_id, row in shown.items():
        number = job_ids.index(job_id)
        installation_id = installations[number % 2]
        assert f'href="/console/installations/{installation_id}"' in row
        assert ("Första Kunden AB" if number % 2 == 0 else "Andra Kunden AB") in row
        assert died_at.strftime("%Y-%m-%d %H:%M:%S UTC") in row
    assert f"{routes_queue.DEAD_SHOWN} of {len(job_ids)}" in page.text
    found = re.search(r'<a href="(/console/queue\?before=\d+)" rel="next">', page.text)
    assert found is not None, "no link to the older dead jobs"
    older = await console.get(found.group(1))
    assert older.status_code == 200
    assert sorted(_dead_rows(older.text)) == job_ids[: -routes_queue.DEAD_SHOWN]
    assert 'rel="next"' not in older.text
    for before in ("0", "x", "9" * 30):
        refused = await console.get("/console/queue", params={"before": before})
        assert refused.status_code == 422, before


async def test_an_entitys_history_and_its_jobs_say_when_they_ran(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """ "When did this deal reach Fortnox, and when did it fail?": the history lists each job's
    time and attempts, and a job's page when it was queued, due and finished, in UTC."""
    installation_id = await _installation(console, admin_headers)
    queued_at = utcnow().replace(microsecond=0) - timedelta(days=2)
    finished_at = queued_at + timedelta(minutes=3)
    due_at = queued_at + timedelta(minutes=1)
    job_id = await add_job(
        session_factory,
        installation_id,
        entity_id="42",
        last_error="timeout: x",
        attempts=2,
        created_at=queued_at,
        run_after=due_at,
        finished_at=finished_at,
    )
    await log_in(console, ADMIN_TOKEN)

    def shown(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")

    history = await console.get(
        f"/console/installations/{installation_id}/history",
        params={"entity": "order", "upsales_id": "42"},
    )
    assert history.status_code == 200
    row = history.text.split(f'href="/console/jobs/{job_id}"', 1)[1].split("</tr>", 1)[0]
    assert shown(finished_at) in row
    assert "2/8" in row
    page = await console.get(f"/console/jobs/{job_id}")
    assert page.status_code == 200
    for moment in (queued_at, due_at, finished_at):
        assert shown(moment) in page.text


async def test_the_queues_oldest_waiting_job_is_the_one_the_alerts_and_metrics_watch(
    console: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """The queue page's "oldest waiting job" counted a paused installation's jobs and jobs not
    due yet (backing off), so it showed hours while the queue-age alert, the installation's
    health and ``upsales_fortnox_queue_oldest_seconds`` said nothing waits."""
    now = utcnow()
    async with session_factory() as session:
        paused = Installation(name="Pausad AB", status="paused")
        active = Installation(name="Aktiv AB", status="active")
        session.add_all([paused, active])
        await session.commit()
        paused_id, active_id = str(paused.id), str(active.id)
    queued = {"status": JobStatus.QUEUED, "created_at": now - timedelta(hours=3)}
    await add_job(session_factory, paused_id, entity_id="1", run_after=now, **queued)
    await add_job(
        session_factory, active_id, entity_id="2", run_after=now + timedelta(hours=1), **queued
    )
    await log_in(console, ADMIN_TOKEN)

    summary = (await console.get("/console/queue/summary.json")).json()
    assert summary["counts"]["queued"] == 2
    assert summary["oldest_waiting_seconds"] is None
    page = await console.get("/console/queue")
    assert re.search(r"<dd data-oldest>none</dd>", page.text), page.text

    await add_job(
        session_factory, active_id, entity_id="3", run_after=now - timedelta(minutes=10), **queued
    )
    waited = (await console.get("/console/queue/summary.json")).json()["oldest_waiting_seconds"]
    assert 590 <= waited <= 700


async def test_a_bulk_retry_beyond_its_limit_says_how_many_remain(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bulk retry queues at most its limit (1000) a run: the flash said only how many went,
    so an operator whose dry run counted more took the rest for retried."""
    monkeypatch.setattr(routes_queue, "BULK_RETRY_LIMIT", 2)
    installation_id = await _installation(console, admin_headers)
    for number in range(3):
        await add_job(session_factory, installation_id, entity_id=str(number), last_error="t: x")
    csrf = await log_in(console, ADMIN_TOKEN)
    form = {"csrf_token": csrf, "installation_id": installation_id, "action": "retry"}
    done = await console.post("/console/queue/bulk-retry", data=form)
    assert done.status_code == 303
    page = await console.get(done.headers["location"])
    assert "2 dead jobs queued again; 1 more match" in page.text, page.text


async def test_history_is_looked_up_by_the_longest_customer_number(
    console: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """A customer number may be as long as Fortnox allows; one the tables cannot keep is a
    422 page with the API's code."""
    installation_id = await _installation(console, admin_headers)
    await log_in(console, ADMIN_TOKEN)
    history = f"/console/installations/{installation_id}/history"
    longest = "K-" + "7" * (MAX_CUSTOMER_NUMBER_LENGTH - 2)

    found = await console.get(history, params={"entity": "company", "fortnox_id": longest})
    refused = await console.get(
        history, params={"entity": "company", "fortnox_id": "\u4e2d" * MAX_CUSTOMER_NUMBER_LENGTH}
    )

    assert found.status_code == 200, found.text
    assert refused.status_code == 422
    assert "validation_error" in refused.text
