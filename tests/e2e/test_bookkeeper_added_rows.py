"""A row the bookkeeper adds in Fortnox to a won deal's invoice (freight, a fee, a note) is
not the sales rep's to remove: the rep's later changes of the deal update the deal's own rows
and leave the bookkeeper's row on the invoice, change after change. A row of the deal the
bookkeeper replaced by another is the deal's again (the deal is the source of its rows)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call
from tests.e2e.outbound_support import edit, sync_order, won_and_invoiced
from upsales_fortnox.integrations.fortnox.limits import MAX_DOCUMENT_ROWS
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.order_answers import answer_app_status_order
from upsales_fortnox.vocabulary import JobStatus

D = Decimal
FREIGHT = {"Description": "Frakt enligt avtal", "Price": 500, "DeliveredQuantity": "1"}


def _rows(harness: SyncHarness, number: str) -> list[tuple[str, str, Decimal]]:
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    return [(r["ArticleNumber"], r["Description"], r["Total"]) for r in invoice["InvoiceRows"]]


async def _two_more_of_each(harness: SyncHarness, order_id: int) -> None:
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    more = [{**row, "quantity": row["quantity"] + 2} for row in deal["orderRow"]]
    edit(harness, "orders", order_id, {"orderRow": more})


async def _changed_twice(harness: SyncHarness, order_id: int) -> SyncJob:
    """The rep adds two of each twice, each change synced: the first reads the invoice (the
    bookkeeper's edit renumbered its rows), the second goes from the rows the link keeps,
    unread. The second job."""
    await _two_more_of_each(harness, order_id)
    changed = await sync_order(harness, order_id)
    assert changed.status == JobStatus.DONE, changed.last_error
    await _two_more_of_each(harness, order_id)
    again = await sync_order(harness, order_id)
    assert again.status == JobStatus.DONE, again.last_error
    return again


async def _bookkeeper_writes_rows(
    harness: SyncHarness, number: str, rows: list[dict[str, Any]]
) -> None:
    await fortnox_call(harness, "PUT", f"/invoices/{number}", {"Invoice": {"InvoiceRows": rows}})


async def _invoiced_with_freight_added(harness: SyncHarness, order_id: int) -> int:
    """The deal won and invoiced, then the bookkeeper adds a freight row after the deal's rows
    (its event read); the invoice's number."""
    number = await won_and_invoiced(harness, order_id)
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    await _bookkeeper_writes_rows(
        harness, number, [{"RowId": r["RowId"]} for r in invoice["InvoiceRows"]] + [FREIGHT]
    )
    await EventFeed(harness).sync()
    return number


async def test_the_reps_changes_keep_the_row_the_bookkeeper_added(linked: SyncHarness) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    number = await _invoiced_with_freight_added(harness, order_id)

    again = await _changed_twice(harness, order_id)

    assert (again.result or {})["outcome"] == "updated"
    assert _rows(harness, number) == [
        ("LIC-BAS", "Licens Bas", D("26460.00")),  # 6 x 4410
        ("KONS-1", "Konsulttimme", D("15000.00")),  # 12 x 1250
        ("", "Frakt enligt avtal", D("500.00")),
    ]
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None and invoice["Net"] == deal["value"] + 500


async def test_a_row_of_the_deal_the_bookkeeper_replaced_is_the_deals_again(
    linked: SyncHarness,
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    number = await won_and_invoiced(harness, order_id)
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    first, second = invoice["InvoiceRows"]
    replaced = {"RowId": second["RowId"], "ArticleNumber": "UTB-DAG", "DeliveredQuantity": "1"}
    await _bookkeeper_writes_rows(harness, number, [{"RowId": first["RowId"]}, replaced])
    await EventFeed(harness).sync()

    await _two_more_of_each(harness, order_id)
    changed = await sync_order(harness, order_id)

    assert changed.status == JobStatus.DONE, changed.last_error
    assert [row[0] for row in _rows(harness, number)] == ["LIC-BAS", "KONS-1"]


async def test_the_bookkeepers_rows_keep_their_place_among_the_deals(linked: SyncHarness) -> None:
    """A text row the bookkeeper put above the deal's rows stays above them, one put between
    them stays before the row it preceded, and freight added last stays last, change after
    change."""
    harness = linked
    order_id = harness.demo.opportunity_id
    number = await won_and_invoiced(harness, order_id)
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    first, second = ({"RowId": r["RowId"]} for r in invoice["InvoiceRows"])
    heading = {"Description": "Avser avtal 2027", "DeliveredQuantity": "0"}
    note = {"Description": "Konsulttimmar enligt bilaga", "DeliveredQuantity": "0"}
    await _bookkeeper_writes_rows(harness, number, [heading, first, note, second, FREIGHT])
    await EventFeed(harness).sync()

    await _two_more_of_each(harness, order_id)  # read first: the row ids changed in Fortnox
    changed = await sync_order(harness, order_id)
    assert changed.status == JobStatus.DONE, changed.last_error
    after_read = [row[:2] for row in _rows(harness, number)]
    await _two_more_of_each(harness, order_id)  # from the rows the link keeps, unread
    again = await sync_order(harness, order_id)
    assert again.status == JobStatus.DONE, again.last_error

    expected = [
        ("", "Avser avtal 2027"),
        ("LIC-BAS", "Licens Bas"),
        ("", "Konsulttimmar enligt bilaga"),
        ("KONS-1", "Konsulttimme"),
        ("", "Frakt enligt avtal"),
    ]
    assert after_read == expected
    assert [row[:2] for row in _rows(harness, number)] == expected


async def test_a_deal_the_bookkeepers_row_takes_past_the_row_limit_tells_the_rep_why(
    linked: SyncHarness,
) -> None:
    """The rep fills the deal to Fortnox's row limit, and with the freight the bookkeeper
    added the invoice would hold one row too many: the change is not sent, and the rep reads
    why and what to do (saving the order shows nothing: it reads no document)."""
    harness = linked
    order_id = harness.demo.opportunity_id
    number = await _invoiced_with_freight_added(harness, order_id)
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    row = {k: v for k, v in deal["orderRow"][0].items() if k != "id"}
    edit(harness, "orders", order_id, {"orderRow": [row] * MAX_DOCUMENT_ROWS})

    changed = await sync_order(harness, order_id)

    assert changed.status == JobStatus.DEAD
    body = {"data": {"obj": {"id": order_id}}, "user": {"language": "sv"}}
    answer = await answer_app_status_order(harness.services, harness.installation_id, body)
    assert answer.body["message"] == (
        "Ändringen skickades inte: dokumentet i Fortnox har rader som lagts till där, och med "
        "dem får det fler rader än Fortnox tillåter. Ta bort rader ur ordern och spara den, "
        "eller låt den som sköter bokföringen ta bort de tillagda raderna i Fortnox och spara "
        "sedan ordern igen."
    )
    assert [r[0] for r in _rows(harness, number)] == ["LIC-BAS", "KONS-1", ""]


async def test_a_row_the_bookkeeper_adds_above_a_deal_row_of_its_article_stays_theirs(
    linked: SyncHarness,
) -> None:
    """The bookkeeper bills an extra consulting hour at another price, on a row put above the
    deal's own consulting row: the rep's change updates the deal's row, not the bookkeeper's,
    which stays as they wrote it, above it."""
    harness = linked
    order_id = harness.demo.opportunity_id
    number = await won_and_invoiced(harness, order_id)
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    first, second = ({"RowId": r["RowId"]} for r in invoice["InvoiceRows"])
    extra = {"ArticleNumber": "KONS-1", "DeliveredQuantity": "1", "Price": 1000}
    await _bookkeeper_writes_rows(harness, number, [first, extra, second])
    await EventFeed(harness).sync()

    await _changed_twice(harness, order_id)

    assert _rows(harness, number) == [
        ("LIC-BAS", "Licens Bas", D("26460.00")),  # 6 x 4410
        ("KONS-1", "Konsulttimme", D("1000.00")),  # the bookkeeper's, as written
        ("KONS-1", "Konsulttimme", D("15000.00")),  # 12 x 1250
    ]
