"""Documents, and articles' prices, read ahead while the phases before theirs import: each read
once, linked ones never."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.sync.initial.scenario import creates, duplicates, money, seed_overlap
from upsales_fortnox.domain.initial_phases import FORTNOX_TYPES, Phase, phases_for
from upsales_fortnox.domain.initial_progress import SyncProgress
from upsales_fortnox.integrations.fortnox import listing as fortnox_listing
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.inbound.article_reads import ArticleReader
from upsales_fortnox.sync.inbound.product_extras import ProductExtras
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.importer import InitialImport
from upsales_fortnox.sync.initial.read_ahead import (
    PagesAhead,
    article_read_ahead,
    document_read_ahead,
)
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

LIST = "GET /3/invoices"
READ = "GET /3/invoices/{DocumentNumber}"
ARTICLES = "GET /3/articles"
PRICES = "GET /3/prices/sublist/{PriceList}/{ArticleNumber}"


def _calls(harness: SyncHarness, route: str) -> int:
    return harness.fortnox.request_counters().by_route.get(route, 0)


async def _fortnox(harness: SyncHarness) -> FortnoxClient:
    return (await installation_context(harness.services, harness.installation_id)).fortnox


def _linked_lookup(harness: SyncHarness) -> Any:
    async def linked(phase: Phase, numbers: list[str]) -> dict[str, int]:
        async with harness.services.session_factory() as session:
            store = LinkStore(session, harness.installation_id)
            return await store.upsales_ids_by_fortnox(FORTNOX_TYPES[phase], numbers)

    return linked


async def _link_invoice(harness: SyncHarness, number: str, order_id: int) -> None:
    async with harness.services.session_factory() as session:
        store = LinkStore(session, harness.installation_id)
        await store.save(LinkEntity.ORDER, order_id, FortnoxType.INVOICE, number, None)
        await session.commit()


READ_AHEAD_BOUND_SECONDS = 30.0


async def _import_counting_at(
    harness: SyncHarness, phase: Phase, route: str, expected: int
) -> tuple[SyncProgress, list[int]]:
    """Run the whole import; the calls of ``route`` made when ``phase`` begins, the phase
    held until the read-ahead has made ``expected`` of them (its requests and database reads
    run partly in other threads, slower on a loaded machine; the hold gives up after
    ``READ_AHEAD_BOUND_SECONDS``, a safety net, not a timing claim)."""
    context = await installation_context(harness.services, harness.installation_id)
    importer = InitialImport(
        ImportContext(
            installation_id=harness.installation_id,
            settings=context.settings,
            fortnox=context.fortnox,
            upsales=context.upsales,
            session_factory=harness.services.session_factory,
        ),
        SyncProgress(phases_for(context.settings.sync_type)),
    )
    counted: list[int] = []

    async def checkpoint(state: SyncProgress) -> None:
        if state.current is phase and state.next_page == 1:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + READ_AHEAD_BOUND_SECONDS
            while loop.time() < deadline:
                if _calls(harness, route) >= expected:
                    break
                await asyncio.sleep(0.001)
            counted.append(_calls(harness, route))

    return await importer.run(checkpoint), counted


async def test_reads_the_unlinked_documents_of_a_page(harness: SyncHarness) -> None:
    seed_overlap(harness)  # invoices 1-4
    await _link_invoice(harness, "1", 999)
    read_ahead = document_read_ahead(
        Phase.INVOICES, await _fortnox(harness), _linked_lookup(harness)
    )

    read_ahead.start()
    pages = await read_ahead.completed()

    assert list(pages) == [1]
    assert [item.DocumentNumber for item in pages[1].listed.items] == [1, 2, 3, 4]
    assert sorted(pages[1].read) == ["2", "3", "4"]
    assert pages[1].read["2"].InvoiceRows  # the whole document, rows included
    assert (_calls(harness, LIST), _calls(harness, READ)) == (1, 3)


async def test_holds_at_most_max_pages_until_they_are_taken(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 1)
    seed_overlap(harness)
    read_ahead = document_read_ahead(
        Phase.INVOICES, await _fortnox(harness), _linked_lookup(harness), max_pages=2
    )

    read_ahead.start()
    assert sorted(await read_ahead.completed()) == [1, 2]
    assert (_calls(harness, LIST), _calls(harness, READ)) == (2, 2)

    taken = [await read_ahead.take(number) for number in (1, 2, 3, 4)]
    assert [sorted(page.read) if page else None for page in taken] == [
        ["1"],
        ["2"],
        ["3"],
        ["4"],
    ]
    assert await read_ahead.take(5) is None
    assert (_calls(harness, LIST), _calls(harness, READ)) == (4, 4)


async def test_starts_at_the_page_given(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 3)
    seed_overlap(harness)
    read_ahead = document_read_ahead(
        Phase.INVOICES, await _fortnox(harness), _linked_lookup(harness), first_page=2
    )

    read_ahead.start()
    page = await read_ahead.take(2)

    assert page is not None and sorted(page.read) == ["4"]
    assert (_calls(harness, LIST), _calls(harness, READ)) == (1, 1)


async def test_cancelled_at_once_it_reads_nothing(harness: SyncHarness) -> None:
    seed_overlap(harness)
    read_ahead = document_read_ahead(
        Phase.INVOICES, await _fortnox(harness), _linked_lookup(harness)
    )

    read_ahead.start()
    await read_ahead.cancel()

    assert await read_ahead.take(1) is None
    assert _calls(harness, LIST) + _calls(harness, READ) == 0


async def test_a_failure_stops_it_quietly(harness: SyncHarness) -> None:
    seed_overlap(harness)

    async def broken(phase: Phase, numbers: list[str]) -> dict[str, int]:
        raise ConnectionError("the database went away")

    read_ahead = document_read_ahead(Phase.INVOICES, await _fortnox(harness), broken)
    read_ahead.start()
    page = await read_ahead.take(1)

    # The listing stands; the documents are for the import to read.
    assert page is not None and len(page.listed.items) == 4 and page.read == {}
    assert await read_ahead.take(2) is None
    assert _calls(harness, READ) == 0


async def test_the_import_reads_documents_before_their_phase_and_never_twice(
    harness: SyncHarness,
) -> None:
    seed_overlap(harness)
    finished, read_before_invoices = await _import_counting_at(harness, Phase.INVOICES, READ, 4)

    assert read_before_invoices == [4]
    assert (_calls(harness, LIST), _calls(harness, READ)) == (1, 4)
    assert finished.phase(Phase.INVOICES).counts["created"] == 3
    assert creates(harness)["orders"] == 3
    assert duplicates(harness) == 0


async def test_a_second_run_reads_only_what_it_could_not_link(harness: SyncHarness) -> None:
    seed_overlap(harness)
    start = f"/api/installations/{harness.installation_id}/initial-sync"

    for _ in range(2):
        response = await harness.service.post(start, headers=harness.admin_headers)
        assert response.status_code == 202, response.text
        await harness.run_jobs()

    # Invoice 3 (its customer is ambiguous) stays unlinked and is read by both runs; the
    # linked ones only by the first.
    assert _calls(harness, READ) == 4 + 1


async def test_the_preview_reads_no_document(harness: SyncHarness) -> None:
    seed_overlap(harness)

    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync/preview",
        headers=harness.admin_headers,
    )

    assert response.status_code == 200, response.text
    assert _calls(harness, READ) == 0


def _offer(customer: str, date: str) -> dict[str, Any]:
    return {
        "CustomerNumber": customer,
        "OfferDate": date,
        "OfferRows": [{"ArticleNumber": "NY-1", "Quantity": 1, "Price": 250}],
    }


async def test_offers_added_while_the_import_pages_are_neither_skipped_nor_repeated(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 2)
    seed_overlap(harness)
    harness.fortnox.seed(harness.tenant_id, offers=[_offer("1", "2026-06-01") for _ in range(3)])
    read_ahead = document_read_ahead(
        Phase.OFFERS, await _fortnox(harness), _linked_lookup(harness), max_pages=1
    )

    read_ahead.start()
    seen: list[int | None] = []
    for number in range(1, 10):
        await read_ahead.completed()  # page `number` is listed and held: nothing further yet
        added = {1: 2, 2: 1}.get(number, 0)  # offers made between two pages of the import,
        backdated = [_offer("4", "2026-01-01") for _ in range(added)]  # dated before the rest
        harness.fortnox.seed(harness.tenant_id, offers=backdated)
        page = await read_ahead.take(number)
        if page is None:
            break
        seen.extend(item.DocumentNumber for item in page.listed.items)

    assert seen == [1, 2, 3, 4, 5, 6]  # every offer once, those made during paging included
    assert harness.fortnox.request_counters().by_route["GET /3/offers"] == 3


async def _link_article(harness: SyncHarness, number: str, product_id: int) -> None:
    async with harness.services.session_factory() as session:
        store = LinkStore(session, harness.installation_id)
        await store.save(LinkEntity.PRODUCT, product_id, FortnoxType.ARTICLE, number, None)
        await session.commit()


def _reader(harness: SyncHarness, fortnox: FortnoxClient) -> ArticleReader:
    """Reads an article's prices in list A (stock levels and currency prices off)."""
    return ArticleReader(fortnox, harness.installation_id, "A", ProductExtras())


async def test_reads_the_prices_of_the_unlinked_articles_of_a_page(harness: SyncHarness) -> None:
    seed_overlap(harness)  # articles KONS-1 and NY-1, both priced in list A
    await _link_article(harness, "KONS-1", 999)
    fortnox = await _fortnox(harness)
    read_ahead = article_read_ahead(fortnox, _reader(harness, fortnox), _linked_lookup(harness))

    read_ahead.start()
    pages = await read_ahead.completed()

    assert list(pages) == [1]
    assert sorted(pages[1].read) == ["NY-1"]
    prices = pages[1].read["NY-1"].prices
    assert [(price.FromQuantity, price.Price) for price in prices["A"]] == [(0, 250)]
    assert (_calls(harness, ARTICLES), _calls(harness, PRICES)) == (1, 1)


async def test_pages_ahead_start_at_the_page_the_import_asks_for_and_give_each_read_once(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 1)
    seed_overlap(harness)
    fortnox, linked = await _fortnox(harness), _linked_lookup(harness)
    reader = _reader(harness, fortnox)
    ahead = PagesAhead(
        lambda _, first: article_read_ahead(fortnox, reader, linked, first_page=first)
    )

    listed = await ahead.page(Phase.ARTICLES, 2)  # a run resumed at the articles' page 2

    assert listed is not None and [item.ArticleNumber for item in listed.items] == ["NY-1"]
    first, again = ahead.pop("NY-1"), ahead.pop("NY-1")
    assert first is not None and [price.Price for price in first.prices["A"]] == [250]
    assert again is None  # given once: the import reads it itself if it asks again
    assert await ahead.page(Phase.ARTICLES, 3) is None  # there is no page 3
    await ahead.stop()
    assert (_calls(harness, ARTICLES), _calls(harness, PRICES)) == (1, 1)  # KONS-1 never


async def test_the_import_reads_prices_before_the_articles_phase_and_never_twice(
    harness: SyncHarness,
) -> None:
    seed_overlap(harness)
    await harness.update_settings(price_list="A")
    finished, priced_before_articles = await _import_counting_at(harness, Phase.ARTICLES, PRICES, 2)

    assert priced_before_articles == [2]
    assert (_calls(harness, ARTICLES), _calls(harness, PRICES)) == (1, 2)
    assert finished.phase(Phase.ARTICLES).counts["created"] == 1  # NY-1; KONS-1 matched
    prices = {p["articleNo"]: p["listPrice"] for p in harness.upsales_entities("products")}
    assert money(prices["NY-1"]) == 250
