"""Initial sync cases where what Upsales or Fortnox already holds must be found, not duplicated
or dropped."""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Generator
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.sync.initial.scenario import creates, seed_overlap
from tests.sync.initial.test_initial_sync_e2e import (
    _links,
    _start,
    _status,
    run_crashing_once_at_links,
)
from upsales_fortnox.domain.inbound.products import NO_ARTICLE_NUMBER
from upsales_fortnox.integrations.fortnox import listing as fortnox_listing
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.models import Product
from upsales_fortnox.jobs import HandlerRegistry, JobContext, Worker
from upsales_fortnox.jobs.store.operator_actions import retry_dead_job
from upsales_fortnox.sync.initial.handler import run_initial_sync
from upsales_fortnox.vocabulary import FortnoxType, JobStatus, LinkEntity


def _free_text_invoice(customer: str, text: str) -> dict[str, Any]:
    return {
        "CustomerNumber": customer,
        "InvoiceDate": "2026-10-01",
        "InvoiceRows": [{"Description": text, "DeliveredQuantity": 1, "Price": 500}],
    }


@types.coroutine
def _round_trip() -> Generator[None]:
    """What a request over the network does and the in-process sandbox does not: give the
    event loop to the other tasks while the answer travels."""
    yield


async def test_invoices_with_rows_without_article_share_one_product(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page of invoices whose rows name no article: they are imported at once (several in
    flight), and all take the one product for rows without an article."""
    find = UpsalesClient.find_product_by_article_no

    async def find_over_the_network(client: UpsalesClient, article_no: str) -> Product | None:
        found = await find(client, article_no)
        await _round_trip()  # the answer is on its way back
        return found

    monkeypatch.setattr(UpsalesClient, "find_product_by_article_no", find_over_the_network)
    customers = [{"CustomerNumber": str(n), "Name": f"Kund {n} AB"} for n in range(1, 9)]
    harness.fortnox.seed(
        harness.tenant_id,
        customers=customers,
        invoices=[_free_text_invoice(str(n), f"Frakt {n}") for n in range(1, 9)],
    )

    await _start(harness)
    await harness.run_jobs()

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    (invoices,) = [phase for phase in status["phases"] if phase["phase"] == "invoices"]
    assert invoices["counts"]["failed"] == 0, status["failed"]
    assert invoices["counts"]["created"] == 8
    fallback = [
        product
        for product in harness.upsales_entities("products")
        if product.get("articleNo") == NO_ARTICLE_NUMBER
    ]
    assert len(fallback) == 1


async def test_an_article_takes_the_product_made_by_hand_with_its_name(
    harness: SyncHarness,
) -> None:
    """A product made in Upsales before its article, without an article number, is the one the
    article links to (as a change of the article would): it gets the article number, and no
    second product of that name is made. A name two products share is not guessed between."""
    upsales = harness.upsales
    by_hand, *twins = upsales.seed(
        harness.demo.customer_id,
        "products",
        [
            {"name": "Servicavtal Guld", "listPrice": 900},
            {"name": "Installation", "listPrice": 100},
            {"name": "Installation", "listPrice": 120},
        ],
    )
    harness.fortnox.seed(
        harness.tenant_id,
        articles=[
            {"ArticleNumber": "SERV-G", "Description": "Servicavtal Guld", "SalesPrice": 950},
            {"ArticleNumber": "INST", "Description": "Installation", "SalesPrice": 150},
        ],
    )

    await _start(harness)
    await harness.run_jobs()

    status = await _status(harness)
    (articles,) = [phase for phase in status["phases"] if phase["phase"] == "articles"]
    assert articles["counts"]["created"] == 1  # INST: two products have its name
    products = harness.upsales_entities("products")
    named = [p for p in products if p["name"] == "Servicavtal Guld"]
    assert [p["id"] for p in named] == [by_hand]
    assert named[0]["articleNo"] == "SERV-G"
    assert [p["articleNo"] for p in products if p["id"] in twins] == [None, None]


async def test_a_crash_before_orders_are_linked_duplicates_none_without_the_document_field(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An account without the order field ``FORTNOX_DOCUMENT``: the worker dies after a page's
    orders were created and before their links were saved. The page runs again and finds each
    order by its description ("Fortnox-faktura 1"), as the inbound sync does, instead of
    creating it twice."""
    seed_overlap(harness)
    deleted = await harness.services.http.delete(
        f"{harness.services.settings.upsales_api_base_url}/customfields/order/"
        f"{harness.demo.order_fortnox_document_field_id}",
        params={"token": harness.demo.api_key},
    )
    assert deleted.status_code == 200, deleted.text
    job = await run_crashing_once_at_links(harness, monkeypatch, LinkEntity.ORDER)
    assert job.attempts == 2

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    assert creates(harness)["orders"] == 3
    descriptions = Counter(o.get("description") for o in harness.upsales_entities("orders"))
    assert max(descriptions.values()) == 1


async def test_a_revoked_upsales_key_stops_the_import_where_it_was(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upsales stops accepting the installation's key part way through (401 on every call):
    that is no refusal of one company, so the import stops at that page instead of marking
    every company after it failed and going on. Once the key works again, a retry imports
    them all."""
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 2)
    seed_overlap(harness)
    keys = harness.upsales.state.api_keys
    pages = 0

    async def revoking(job: JobContext) -> dict[str, Any]:
        save = job.save_checkpoint

        async def checkpoint(payload: dict[str, Any]) -> None:
            nonlocal pages
            await save(payload)
            pages += 1
            if pages == 1:
                revoked.append(keys.pop(harness.demo.api_key))

        job.save_checkpoint = checkpoint
        return await run_initial_sync(harness.services, job)

    revoked: list[Any] = []
    registry = HandlerRegistry({"initial_sync": revoking})
    worker = Worker(harness.services.session_factory, registry, harness.services.settings)
    job_id = await _start(harness)
    await worker.run_once()

    status = await _status(harness)
    assert status["status"] == JobStatus.DEAD, status
    assert "upsales_unauthorized" in (status["last_error"] or "")
    assert status["failed"] == []
    keys[harness.demo.api_key] = revoked[0]
    async with harness.services.session_factory() as session:
        await retry_dead_job(session, job_id)
        await session.commit()
    await worker.run_once()

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    links = await _links(harness)
    assert len([key for key in links if key[0] == FortnoxType.CUSTOMER]) == 4


async def test_inactive_customers_not_linked_are_skipped_by_the_initial_sync(
    harness: SyncHarness,
) -> None:
    """The customer list's items carry no ``Active``: the import still leaves the inactive
    customers out (reported as skipped), and matches no company to them."""
    harness.upsales.seed(harness.demo.customer_id, "accounts", [{"name": "Slumrande AB"}])
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {"CustomerNumber": "9101", "Name": "Aktiv AB"},
            {"CustomerNumber": "9102", "Name": "Vilande AB", "Active": False},
            {"CustomerNumber": "9103", "Name": "Slumrande AB", "Active": False},
        ],
    )

    await _start(harness)
    await harness.run_jobs()

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    (customers,) = [phase for phase in status["phases"] if phase["phase"] == "customers"]
    assert customers["counts"].get("skipped") == 2, customers
    names = Counter(a.get("name") for a in harness.upsales_entities("accounts"))
    assert names["Aktiv AB"] == 1 and names["Vilande AB"] == 0 and names["Slumrande AB"] == 1
    links = {number for kind, number in await _links(harness) if kind == FortnoxType.CUSTOMER}
    assert "9101" in links and "9102" not in links and "9103" not in links


async def test_a_crash_before_a_long_named_customer_is_linked_duplicates_none_without_its_field(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An account without the company field for the customer number, and a customer without an
    organisation number whose name is longer than Upsales holds: the worker dies after its
    company was made and before its link was saved. The page runs again and finds the company
    by the name as Upsales holds it, cut, instead of making it twice."""
    deleted = await harness.services.http.delete(
        f"{harness.services.settings.upsales_api_base_url}/customfields/account/"
        f"{harness.demo.account_fortnox_customer_number_field_id}",
        params={"token": harness.demo.api_key},
    )
    assert deleted.status_code == 200, deleted.text
    long_name = "Bostadsrättsföreningen Solrosen i Västra Frölunda " * 3
    harness.fortnox.seed(harness.tenant_id, customers=[{"CustomerNumber": "77", "Name": long_name}])

    job = await run_crashing_once_at_links(harness, monkeypatch, LinkEntity.COMPANY)

    assert job.attempts == 2
    assert (await _status(harness))["status"] == JobStatus.DONE
    assert creates(harness)["accounts"] == 1
    links = await _links(harness)
    (company,) = [a for a in harness.upsales_entities("accounts") if a["name"] in long_name]
    assert links[(FortnoxType.CUSTOMER, "77")] == company["id"]


async def test_an_article_takes_the_product_whose_number_differs_only_in_case(
    harness: SyncHarness,
) -> None:
    """A product typed in Upsales as ``hyr-1`` is Fortnox's article ``HYR-1``: linked (and
    given the article's spelling), not made a second time beside it. An exact spelling wins
    over one differing in case."""
    typed, exact, other_case = harness.upsales.seed(
        harness.demo.customer_id,
        "products",
        [
            {"name": "Hyra släp", "articleNo": " hyr-1", "listPrice": 100},
            {"name": "Frakt", "articleNo": "FRAKT", "listPrice": 50},
            {"name": "Frakt (gammal)", "articleNo": "frakt", "listPrice": 40},
        ],
    )
    harness.fortnox.seed(
        harness.tenant_id,
        articles=[
            {"ArticleNumber": "HYR-1", "Description": "Hyra släp", "SalesPrice": 120},
            {"ArticleNumber": "FRAKT", "Description": "Frakt", "SalesPrice": 60},
        ],
    )
    products_before = len(harness.upsales_entities("products"))

    await _start(harness)
    await harness.run_jobs()

    status = await _status(harness)
    (articles,) = [phase for phase in status["phases"] if phase["phase"] == "articles"]
    assert articles["counts"]["created"] == 0, articles
    assert len(harness.upsales_entities("products")) == products_before
    links = await _links(harness)
    assert links[(FortnoxType.ARTICLE, "HYR-1")] == typed
    assert links[(FortnoxType.ARTICLE, "FRAKT")] == exact
    linked = harness.upsales_entity("products", typed)
    assert linked is not None and linked["articleNo"] == "HYR-1"
    untouched = harness.upsales_entity("products", other_case)
    assert untouched is not None and untouched["articleNo"] == "frakt"


async def test_offices_sharing_an_org_number_each_take_the_company_with_their_name(
    harness: SyncHarness,
) -> None:
    """Two offices of one organisation, a customer each in Fortnox and a company each in
    Upsales, all with its number: each customer takes the company with its name (its
    invoices go there), instead of both being reported ambiguous and their invoices left out."""
    lulea, umea = harness.upsales.seed(
        harness.demo.customer_id,
        "accounts",
        [
            {"name": "Bygg Norr AB Luleå", "orgNo": "556677-1234"},
            {"name": "Bygg Norr AB Umeå", "orgNo": "5566771234"},
        ],
    )
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {
                "CustomerNumber": "41",
                "Name": "Bygg Norr AB Umeå",
                "OrganisationNumber": "556677-1234",
            },
            {
                "CustomerNumber": "42",
                "Name": "BYGG NORR AB LULEÅ",
                "OrganisationNumber": "556677-1234",
            },
        ],
        articles=[{"ArticleNumber": "NY-1", "Description": "Ny tjänst", "SalesPrice": 250}],
        invoices=[
            {
                "CustomerNumber": "42",
                "InvoiceDate": "2026-10-01",
                "InvoiceRows": [{"ArticleNumber": "NY-1", "DeliveredQuantity": 1, "Price": 250}],
            }
        ],
    )

    await _start(harness)
    await harness.run_jobs()

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE and status["ambiguous"] == [], status
    assert creates(harness)["accounts"] == 0
    links = await _links(harness)
    assert links[(FortnoxType.CUSTOMER, "41")] == umea
    assert links[(FortnoxType.CUSTOMER, "42")] == lulea
    order = harness.upsales_entity("orders", links[(FortnoxType.INVOICE, "1")])
    assert order is not None and order["client"]["id"] == lulea


async def test_an_article_takes_the_product_named_like_it_up_to_case_and_spaces(
    harness: SyncHarness,
) -> None:
    """The name a product made by hand is found by compares as a company's does: letter case
    and runs of white space aside."""
    (by_hand,) = harness.upsales.seed(
        harness.demo.customer_id, "products", [{"name": "Servicavtal  Silver", "listPrice": 500}]
    )
    harness.fortnox.seed(
        harness.tenant_id,
        articles=[{"ArticleNumber": "SERV-S", "Description": "SERVICAVTAL silver "}],
    )

    await _start(harness)
    await harness.run_jobs()

    assert creates(harness)["products"] == 0
    assert (await _links(harness))[(FortnoxType.ARTICLE, "SERV-S")] == by_hand
    product = harness.upsales_entity("products", by_hand)
    assert product is not None and product["articleNo"] == "SERV-S"


async def test_a_customer_without_an_org_number_leaves_the_company_another_customer_carries(
    harness: SyncHarness,
) -> None:
    """Fortnox holds a company twice: once without its organisation number (an old customer,
    the lower number) and once with it. The one with the number takes the Upsales company that
    carries it, as it would were it alone; the other gets a company of its own."""
    (acme,) = harness.upsales.seed(
        harness.demo.customer_id, "accounts", [{"name": "Acme Maskin AB", "orgNo": "556123-4567"}]
    )
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {"CustomerNumber": "10", "Name": "Acme Maskin AB"},
            {"CustomerNumber": "25", "Name": "Acme Maskin AB", "OrganisationNumber": "5561234567"},
        ],
    )

    await _start(harness)
    await harness.run_jobs()

    links = await _links(harness)
    assert links[(FortnoxType.CUSTOMER, "25")] == acme
    assert links[(FortnoxType.CUSTOMER, "10")] != acme
    made = harness.upsales_entity("accounts", links[(FortnoxType.CUSTOMER, "10")])
    assert made is not None and not made.get("orgNo")


async def test_the_preview_counts_what_the_import_then_does(harness: SyncHarness) -> None:
    """An account meeting the matching rules at once (org numbers and names written otherwise,
    offices sharing a number, a customer twice in Fortnox, an article number in another case,
    an inactive customer and the service's own invoice): the preview's figures per register
    are the import's."""
    seed_overlap(harness)
    harness.upsales.seed(
        harness.demo.customer_id,
        "accounts",
        [
            {"name": "Bygg Norr AB Luleå", "orgNo": "16556677-1234"},
            {"name": "Bygg Norr AB Umeå", "orgNo": "556677 1234"},
            {"name": "Acme Maskin AB", "orgNo": "556123-4567"},
        ],
    )
    harness.upsales.seed(
        harness.demo.customer_id,
        "products",
        [{"name": "Hyra släp", "articleNo": "hyr-1", "listPrice": 100}],
    )
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {"CustomerNumber": "6", "Name": "Vilande AB", "Active": False},
            {"CustomerNumber": "7", "Name": "Acme Maskin AB"},
            {"CustomerNumber": "8", "Name": "Acme Maskin AB", "OrganisationNumber": "5561234567"},
            {
                "CustomerNumber": "9",
                "Name": "bygg norr ab umeå",
                "OrganisationNumber": "556677-1234",
            },
        ],
        articles=[{"ArticleNumber": "HYR-1", "Description": "Hyra släp", "SalesPrice": 120}],
        invoices=[
            {
                "CustomerNumber": customer,
                "InvoiceDate": "2026-10-02",
                "InvoiceRows": [{"ArticleNumber": "HYR-1", "DeliveredQuantity": 1, "Price": 120}],
                **extra,
            }
            for customer, extra in [
                ("6", {}),
                ("7", {}),
                ("9", {}),
                ("8", {"ExternalInvoiceReference1": "upsales-order:99"}),
            ]
        ],
    )

    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync/preview",
        headers=harness.admin_headers,
    )
    assert response.status_code == 200, response.text
    previewed = {phase["phase"]: phase["counts"] for phase in response.json()["phases"]}
    await _start(harness)
    await harness.run_jobs()

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    assert {phase["phase"]: phase["counts"] for phase in status["phases"]} == previewed
    assert previewed["customers"]["ambiguous"] == 1  # the scenario's twins, nothing more
    assert previewed["articles"]["created"] == 1  # NY-1; HYR-1 takes the product "hyr-1"


async def test_a_company_whose_org_number_field_holds_the_vat_number_is_matched_by_it(
    harness: SyncHarness,
) -> None:
    """A company whose organisation number was typed as its VAT number (``SE…01``) is the
    customer with that organisation number: linked, not made a second time."""
    (kappa,) = harness.upsales.seed(
        harness.demo.customer_id, "accounts", [{"name": "Kappa Konsult", "orgNo": "SE556123456701"}]
    )
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {
                "CustomerNumber": "51",
                "Name": "Kappa Konsult AB",
                "OrganisationNumber": "556123-4567",
            }
        ],
    )

    await _start(harness)
    await harness.run_jobs()

    assert creates(harness)["accounts"] == 0
    assert (await _links(harness))[(FortnoxType.CUSTOMER, "51")] == kappa
