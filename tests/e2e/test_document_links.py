"""The Fortnox document's PDF from the deal: a signed link in the order's
``FORTNOX_DOCUMENT_URL`` field, served by the service from Fortnox on demand."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, custom_value
from tests.e2e.outbound_support import edit, link_demo_products, sync_order, win
from tests.e2e.test_relogin_races import log_in_again
from upsales_fortnox.documents.service import LinkSigning, document_url
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow
from upsales_fortnox.models.installation import (
    FortnoxCredentials,
    Installation,
    InstallationSettings,
)
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.outbound import won_deals
from upsales_fortnox.vocabulary import FortnoxType, InstallationStatus, JobStatus, SyncType

URL_ALIAS = "FORTNOX_DOCUMENT_URL"
PREVIEW = "GET /invoices/{DocumentNumber}/preview"


def _add_url_field(harness: SyncHarness) -> int:
    seeded = harness.upsales.seed_many(
        harness.demo.customer_id,
        {"customfields/order": [{"name": "Faktura (PDF)", "alias": URL_ALIAS, "datatype": "Link"}]},
    )
    (field_id,) = seeded["customfields/order"]
    return int(field_id)


@pytest.fixture
async def with_links(harness: SyncHarness) -> SyncHarness:
    await link_demo_products(harness)
    await harness.update_settings(document_links=True)
    return harness


async def _won_deal_link(harness: SyncHarness, field_id: int) -> tuple[str, str]:
    """Win the demo deal; (its invoice number, the link its order now carries)."""
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    job = await sync_order(harness, order_id)
    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["document_url"] == "written"
    order = harness.upsales_entity("orders", order_id)
    assert order is not None
    url = custom_value(order, field_id)
    assert isinstance(url, str)
    return str((job.result or {})["fortnox_invoice"]), url


async def _get(harness: SyncHarness, url: str) -> httpx.Response:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == str(harness.service.base_url).rstrip("/")
    return await harness.service.get(f"{parts.path}?{parts.query}")


def _with_signature(url: str, signature: str) -> str:
    return url.split("?", 1)[0] + "?sig=" + signature


def _assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "no document here"}}
    assert response.headers.get("cache-control") == "no-store"  # a link's answer is never kept


async def test_a_won_deal_links_the_invoice_pdf(with_links: SyncHarness) -> None:
    harness = with_links
    field_id = _add_url_field(harness)
    number, url = await _won_deal_link(harness, field_id)
    # the order's other custom values survive the write
    order = harness.upsales_entity("orders", harness.demo.opportunity_id)
    assert order is not None
    assert url.startswith(f"http://service.test/documents/{harness.installation_id}/invoice/")
    assert url.split("?")[0].endswith(f"/invoice/{number}")

    calls_before = harness.services.fortnox_calls[PREVIEW]
    response = await _get(harness, url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-1.4") and response.content.endswith(b"%%EOF\n")
    assert f"(Invoice {number})".encode() in response.content
    assert harness.services.fortnox_calls[PREVIEW] == calls_before + 1

    # the echo of the write (the order's update) leaves it as it is
    again = await sync_order(harness, harness.demo.opportunity_id)
    assert again.status == JobStatus.DONE and (again.result or {})["outcome"] == "no_change"


async def test_tampered_and_foreign_links_answer_the_same_404(with_links: SyncHarness) -> None:
    harness = with_links
    field_id = _add_url_field(harness)
    number, url = await _won_deal_link(harness, field_id)
    signature = parse_qs(urlsplit(url).query)["sig"][0]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    other_number = str(int(number) + 1)
    calls_before = harness.services.fortnox_calls[PREVIEW]

    tampered = [
        _with_signature(url, flipped),  # a forged signature
        _with_signature(url, ""),  # none
        _with_signature(url, signature * 3),  # too long to be one
        url.replace(f"/invoice/{number}", f"/invoice/{other_number}"),  # another document
        url.replace(f"/invoice/{number}", f"/order/{number}"),  # another kind
        url.replace(str(harness.installation_id), "6f1c0c52-4c43-4f4e-9a53-2a86a1a9e0c1"),
        url.replace(str(harness.installation_id), "not-an-installation"),
    ]
    for wrong in tampered:
        _assert_not_found(await _get(harness, wrong))
    assert harness.services.fortnox_calls[PREVIEW] == calls_before  # Fortnox never asked


async def _other_installation(harness: SyncHarness) -> uuid.UUID:
    """A second installation with document links on (its own Fortnox company: one
    installation per tenant)."""
    async with harness.services.session_factory() as session:
        other = Installation(
            name="Annan Kund AB",
            status=InstallationStatus.ACTIVE,
            fortnox_tenant_id=f"{harness.tenant_id}-other",
        )
        other.settings = InstallationSettings(
            sync_type=SyncType.INVOICE, won_stage=1, lost_stage=2, document_links=True
        )
        session.add(other)
        await session.commit()
        return other.id


async def test_a_link_of_another_installation_is_404(with_links: SyncHarness) -> None:
    harness = with_links
    field_id = _add_url_field(harness)
    number, url = await _won_deal_link(harness, field_id)
    other_id = await _other_installation(harness)
    # this installation's signed link, asked of the other one
    moved = url.replace(str(harness.installation_id), str(other_id))
    _assert_not_found(await _get(harness, moved))
    # the other installation's own genuine link to a document only this one linked
    foreign = await document_url(
        harness.services.session_factory,
        LinkSigning.of(harness.services.settings),
        other_id,
        FortnoxType.INVOICE,
        number,
    )
    _assert_not_found(await _get(harness, foreign))
    assert (await _get(harness, url)).status_code == 200


async def test_rotation_and_removal_void_every_link(with_links: SyncHarness) -> None:
    harness = with_links
    field_id = _add_url_field(harness)
    _, url = await _won_deal_link(harness, field_id)
    assert (await _get(harness, url)).status_code == 200
    rotate = f"/api/installations/{harness.installation_id}/document-links/rotate"

    refused = await harness.service.post(rotate)
    assert refused.status_code == 401
    assert (await _get(harness, url)).status_code == 200

    rotated = await harness.service.post(rotate, headers=harness.admin_headers)
    assert rotated.status_code == 200 and rotated.json() == {"key_version": 2}
    _assert_not_found(await _get(harness, url))

    # the next sync writes a link under the new key, which works
    job = await sync_order(harness, harness.demo.opportunity_id)
    order = harness.upsales_entity("orders", harness.demo.opportunity_id)
    assert order is not None
    fresh = custom_value(order, field_id)
    assert job.status == JobStatus.DONE
    assert isinstance(fresh, str) and fresh != url
    assert (await _get(harness, fresh)).status_code == 200

    unknown = "/api/installations/6f1c0c52-4c43-4f4e-9a53-2a86a1a9e0c1/document-links/rotate"
    missing = await harness.service.post(unknown, headers=harness.admin_headers)
    assert missing.status_code == 404

    removed = await harness.service.delete(
        f"/api/installations/{harness.installation_id}", headers=harness.admin_headers
    )
    assert removed.status_code == 204, removed.text
    _assert_not_found(await _get(harness, fresh))


async def test_the_setting_off_writes_no_link_and_serves_none(harness: SyncHarness) -> None:
    await link_demo_products(harness)
    field_id = _add_url_field(harness)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    job = await sync_order(harness, order_id)
    assert job.status == JobStatus.DONE and "document_url" not in (job.result or {})
    order = harness.upsales_entity("orders", order_id)
    assert order is not None and custom_value(order, field_id) is None
    # a genuine link to a linked document is not served while the setting is off
    genuine = await document_url(
        harness.services.session_factory,
        LinkSigning.of(harness.services.settings),
        harness.installation_id,
        FortnoxType.INVOICE,
        str((job.result or {})["fortnox_invoice"]),
    )
    _assert_not_found(await _get(harness, genuine))
    await harness.update_settings(document_links=True)
    assert (await _get(harness, genuine)).status_code == 200


async def test_a_fortnox_invoice_becomes_an_order_with_its_link(with_links: SyncHarness) -> None:
    harness = with_links
    field_id = _add_url_field(harness)
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "1001", "Name": "Nordisk Verkstad AB"}]
    )
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice(
        Invoice(
            CustomerNumber="1001",
            InvoiceDate=dt.date(2026, 11, 20),
            InvoiceRows=[
                InvoiceRow(
                    ArticleNumber="KONS-1", DeliveredQuantity=Decimal(2), Price=Decimal(1250)
                )
            ],
        )
    )
    await EventFeed(harness).sync()

    orders = [
        o
        for o in harness.upsales_entities("orders")
        if o["description"] == f"Fortnox-faktura {invoice.DocumentNumber}"
    ]
    (order,) = orders
    url = custom_value(order, field_id)
    assert isinstance(url, str) and url.split("?")[0].endswith(f"/invoice/{invoice.DocumentNumber}")
    response = await _get(harness, url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


async def _revoke_login(harness: SyncHarness) -> None:
    """The company's admin revokes the integration in Fortnox: its refresh token, and the
    access tokens with it, stop working."""
    async with harness.services.session_factory() as session:
        credentials = await session.get(FortnoxCredentials, harness.installation_id)
        assert credentials is not None
        refresh_token = harness.services.secret_box.decrypt(credentials.refresh_token_enc or "")
    harness.fortnox.oauth.revoke(refresh_token)


async def test_a_link_while_fortnox_needs_a_new_login_says_so(with_links: SyncHarness) -> None:
    """The company's admin revoked the integration in Fortnox: the genuine link answers a
    clear error naming the missing login, never a server error."""
    harness = with_links
    field_id = _add_url_field(harness)
    _, url = await _won_deal_link(harness, field_id)
    await _revoke_login(harness)

    response = await _get(harness, url)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "fortnox_login_required"
    async with harness.services.session_factory() as session:
        status = await session.scalar(
            select(Installation.status).where(Installation.id == harness.installation_id)
        )
    assert status == InstallationStatus.NEEDS_RELOGIN
    # asked again, the refused login is not tried again: the same answer
    again = await _get(harness, url)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "fortnox_login_required"


async def test_a_link_while_fortnox_is_down_answers_at_once(with_links: SyncHarness) -> None:
    """The sales rep waits on the page: Fortnox failing is said after one try, with
    ``Retry-After``, not after the half minute of backoff a sync job may spend."""
    harness = with_links
    field_id = _add_url_field(harness)
    _, url = await _won_deal_link(harness, field_id)
    harness.fortnox.set_faults(fail_next=100)
    calls_before = harness.services.fortnox_calls[PREVIEW]

    response = await _get(harness, url)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "fortnox_unavailable"
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["cache-control"] == "no-store"
    assert harness.services.fortnox_calls[PREVIEW] == calls_before + 1


async def _seal_login_under_another_key(harness: SyncHarness) -> None:
    """The stored Fortnox login no longer decrypts (``SECRET_KEY`` changed), and no process
    holds it read."""
    async with harness.services.session_factory() as session:
        credentials = await session.get(FortnoxCredentials, harness.installation_id)
        assert credentials is not None
        credentials.access_token_enc = "sealed-under-another-key"
        await session.commit()
    harness.services.token_store._cache.clear()


async def test_a_link_whose_fortnox_login_cannot_be_read_says_so(with_links: SyncHarness) -> None:
    """The stored Fortnox login no longer decrypts (``SECRET_KEY`` changed): a clear error
    asking for a new login, never a server error."""
    harness = with_links
    field_id = _add_url_field(harness)
    _, url = await _won_deal_link(harness, field_id)
    await _seal_login_under_another_key(harness)

    response = await _get(harness, url)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "installation_not_ready"


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def _open_in_browser(harness: SyncHarness, url: str, language: str) -> httpx.Response:
    parts = urlsplit(url)
    return await harness.service.get(
        f"{parts.path}?{parts.query}",
        headers={"Accept": BROWSER_ACCEPT, "Accept-Language": language},
    )


async def test_a_link_that_fails_in_the_browser_explains_itself_in_swedish(
    with_links: SyncHarness,
) -> None:
    """The sales rep clicks the order's link: a link that no longer works, or a Fortnox that
    needs a new login, is a page in the rep's language, not an English JSON error; the status
    stays, and a JSON caller still gets the code."""
    harness = with_links
    field_id = _add_url_field(harness)
    _, url = await _won_deal_link(harness, field_id)
    rotated = await harness.service.post(
        f"/api/installations/{harness.installation_id}/document-links/rotate",
        headers=harness.admin_headers,
    )
    assert rotated.status_code == 200

    page = await _open_in_browser(harness, url, "sv-SE,sv;q=0.9,en;q=0.8")

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<html lang='sv'>" in page.text
    assert "Dokumentet kan inte visas" in page.text
    assert "no document here" not in page.text and "not_found" not in page.text
    english = await _open_in_browser(harness, url, "en-GB,en;q=0.9")
    assert english.status_code == 404 and "The document cannot be shown" in english.text
    _assert_not_found(await _get(harness, url))  # an API caller: the JSON envelope

    job = await sync_order(harness, harness.demo.opportunity_id)  # the link under the new key
    assert job.status == JobStatus.DONE
    order = harness.upsales_entity("orders", harness.demo.opportunity_id)
    assert order is not None
    fresh = custom_value(order, field_id)
    assert isinstance(fresh, str)
    await _revoke_login(harness)

    login = await _open_in_browser(harness, fresh, "sv")

    assert login.status_code == 409
    assert "loggar in i Fortnox igen" in login.text


async def _head(harness: SyncHarness, url: str, **headers: str) -> httpx.Response:
    parts = urlsplit(url)
    return await harness.service.head(f"{parts.path}?{parts.query}", headers=headers)


async def _stored(harness: SyncHarness) -> tuple[int, int]:
    """What a request could have stored: the installation's version and the job count."""
    async with harness.services.session_factory() as session:
        version = await session.scalar(
            select(Installation.version).where(Installation.id == harness.installation_id)
        )
        jobs = await session.scalar(select(func.count()).select_from(SyncJob))
    return int(version or 0), int(jobs or 0)


async def test_head_on_a_link_answers_as_get_without_asking_fortnox(
    with_links: SyncHarness,
) -> None:
    """Link checkers and chat previews send HEAD first: the valid link's HEAD is the GET's
    status and headers with no body, and spends none of the tenant's Fortnox budget."""
    harness = with_links
    field_id = _add_url_field(harness)
    _, url = await _won_deal_link(harness, field_id)
    calls_before = sum(harness.services.fortnox_calls.values())
    stored_before = await _stored(harness)

    head = await _head(harness, url)

    assert head.status_code == 200
    assert head.content == b""
    assert sum(harness.services.fortnox_calls.values()) == calls_before
    assert await _stored(harness) == stored_before
    got = await _get(harness, url)
    assert got.status_code == 200
    for header in ("content-type", "content-disposition", "cache-control"):
        assert head.headers[header] == got.headers[header], header
    assert head.headers.get("content-length") != "0"  # the PDF is not empty


async def test_head_on_a_wrong_link_answers_gets_404_without_asking_fortnox(
    with_links: SyncHarness,
) -> None:
    harness = with_links
    field_id = _add_url_field(harness)
    number, url = await _won_deal_link(harness, field_id)
    signature = parse_qs(urlsplit(url).query)["sig"][0]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    wrong_links = [
        _with_signature(url, flipped),
        _with_signature(url, ""),
        url.replace(f"/invoice/{number}", f"/invoice/{int(number) + 1}"),
        url.replace(str(harness.installation_id), "not-an-installation"),
    ]
    calls_before = sum(harness.services.fortnox_calls.values())
    stored_before = await _stored(harness)

    for wrong in wrong_links:
        head = await _head(harness, wrong)
        got = await _get(harness, wrong)
        assert head.status_code == got.status_code == 404, wrong
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.content == b""
        page = await _head(harness, wrong, accept=BROWSER_ACCEPT)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"

    await harness.service.post(
        f"/api/installations/{harness.installation_id}/document-links/rotate",
        headers=harness.admin_headers,
    )
    assert (await _head(harness, url)).status_code == 404  # an old key's link
    assert sum(harness.services.fortnox_calls.values()) == calls_before
    assert (await _stored(harness))[1] == stored_before[1]


async def test_head_while_fortnox_needs_a_new_login_answers_gets_409(
    with_links: SyncHarness,
) -> None:
    """Once the refused login is known, HEAD says so as GET does, without a Fortnox call."""
    harness = with_links
    field_id = _add_url_field(harness)
    _, url = await _won_deal_link(harness, field_id)
    async with harness.services.session_factory() as session:
        credentials = await session.get(FortnoxCredentials, harness.installation_id)
        assert credentials is not None
        refresh_token = harness.services.secret_box.decrypt(credentials.refresh_token_enc or "")
    harness.fortnox.oauth.revoke(refresh_token)
    assert (await _get(harness, url)).status_code == 409  # the refusal is now known
    calls_before = sum(harness.services.fortnox_calls.values())

    head = await _head(harness, url)

    assert head.status_code == 409
    assert head.content == b""
    assert sum(harness.services.fortnox_calls.values()) == calls_before


async def test_head_on_a_link_whose_fortnox_login_cannot_be_read_answers_as_get(
    with_links: SyncHarness,
) -> None:
    """A stored login that no longer decrypts makes GET 409 ``installation_not_ready``; HEAD
    answered 200, so a link checker called a link that cannot open good."""
    harness = with_links
    field_id = _add_url_field(harness)
    _, url = await _won_deal_link(harness, field_id)
    await _seal_login_under_another_key(harness)
    calls_before = sum(harness.services.fortnox_calls.values())

    head = await _head(harness, url)
    got = await _get(harness, url)

    assert head.status_code == got.status_code == 409
    assert got.json()["error"]["code"] == "installation_not_ready"
    assert head.content == b""
    assert sum(harness.services.fortnox_calls.values()) == calls_before


async def test_head_on_a_paused_installation_whose_login_was_refused_answers_as_get(
    with_links: SyncHarness,
) -> None:
    """A paused installation stays paused when Fortnox refuses its login, so its status never
    told HEAD of the refusal: HEAD answered 200 where GET answers 409. The refusal is recorded
    with the stored login (every process sees it), and a new login clears it."""
    harness = with_links
    field_id = _add_url_field(harness)
    _, url = await _won_deal_link(harness, field_id)
    where = f"/api/installations/{harness.installation_id}"
    current = await harness.service.get(where, headers=harness.admin_headers)
    paused = await harness.service.patch(
        where,
        json={"status": "paused", "status_reason": "invoice dispute"},
        headers={**harness.admin_headers, "If-Match": current.headers["etag"]},
    )
    assert paused.status_code == 200, paused.text
    await _revoke_login(harness)
    got = await _get(harness, url)
    assert got.status_code == 409  # Fortnox refused the refresh: the refusal is now known
    store = harness.services.token_store
    store._cache.clear()  # as another process, which never saw the refusal
    store._dead_refresh_tokens.clear()
    calls_before = sum(harness.services.fortnox_calls.values())

    head = await _head(harness, url)

    assert head.status_code == got.status_code == 409
    assert head.content == b""
    for header in ("content-type", "cache-control"):
        assert head.headers[header] == got.headers[header], header
    assert sum(harness.services.fortnox_calls.values()) == calls_before
    async with harness.services.session_factory() as session:
        status = await session.scalar(
            select(Installation.status).where(Installation.id == harness.installation_id)
        )
    assert status == InstallationStatus.PAUSED  # the operator's pause stays
    await log_in_again(harness)
    assert (await _head(harness, url)).status_code == 200


async def test_a_custom_value_the_rep_types_while_the_job_runs_survives_the_link(
    with_links: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link is written with the order's custom values as they are then, not as the job read
    them before making the invoice: the customer's PO number typed meanwhile stays."""
    harness = with_links
    url_field = _add_url_field(harness)
    seeded = harness.upsales.seed_many(
        harness.demo.customer_id,
        {"customfields/order": [{"name": "Kundens ordernr", "alias": "PO", "datatype": "String"}]},
    )
    po_field = int(seeded["customfields/order"][0])
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    make_invoice = won_deals.write_document

    async def rep_types_meanwhile(*args: Any, **kwargs: Any) -> Any:
        edit(harness, "orders", order_id, {"custom": [{"fieldId": po_field, "value": "PO-4711"}]})
        return await make_invoice(*args, **kwargs)

    monkeypatch.setattr(won_deals, "write_document", rep_types_meanwhile)
    job = await sync_order(harness, order_id)
    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["document_url"] == "written"
    order = harness.upsales_entity("orders", order_id)
    assert order is not None
    assert isinstance(custom_value(order, url_field), str)
    assert custom_value(order, po_field) == "PO-4711", order["custom"]
