"""Each command kind carried out by the interpreter on the writer: the requests it sends
(respx answers them) and the links it stores."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
import pytest
import respx

from tests.sync.interpreter.conftest import FORTNOX, UPSALES
from tests.sync.interpreter.examples import (
    CREATE_COMPANY,
    CREATE_CUSTOMER,
    CREATE_DOCUMENT,
    CREATE_ORDER,
    CREATE_PRODUCT,
    CUSTOMER_ANSWER,
    INVOICE,
    LINK_CUSTOMER,
    LINK_DOCUMENT,
    NO_CHANGE,
    REFUSE,
    REMOVE_LINK,
    SAVE_LINK,
    SYNCED,
    UPDATE_COMPANY,
    UPDATE_CUSTOMER,
    UPDATE_DOCUMENT,
    UPDATE_ORDER,
    UPDATE_PRODUCT,
    WRITE_NUMBER,
    envelope,
    invoice_answer,
)
from upsales_fortnox.domain.inbound.companies import customer_fingerprint
from upsales_fortnox.domain.outbound.added_rows import KEPT_THEIRS
from upsales_fortnox.domain.outbound.kept_rows import (
    KEPT_CUSTOMER,
    KEPT_ROWS,
)
from upsales_fortnox.domain.outbound.your_reference import KEPT_YOUR_REFERENCE
from upsales_fortnox.domain.sync_commands import SaveLink, UpdateFortnoxCustomer
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.fortnox.models import Customer, InvoiceRow
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.sync import interpreter
from upsales_fortnox.sync.effects.live_writer import Writer
from upsales_fortnox.sync.outbound.fortnox_documents import DocumentLocked
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

KEPT = {KEPT_ROWS: [[7, "A1", "|100||"]], KEPT_CUSTOMER: "10", KEPT_YOUR_REFERENCE: None}
"""What a write of a deal without a contact keeps: its rows, its customer, no "Er referens"."""


class Links:
    """A link sink that keeps what it is given."""

    def __init__(self) -> None:
        self.saved: list[SaveLink] = []
        self.removed: list[tuple[FortnoxType, str]] = []

    async def save(self, link: SaveLink) -> None:
        self.saved.append(link)

    async def remove(self, fortnox_type: FortnoxType, fortnox_id: str) -> None:
        self.removed.append((fortnox_type, fortnox_id))


@pytest.fixture
def links() -> Links:
    return Links()


@pytest.fixture
def writer(upsales: UpsalesClient, fortnox: FortnoxClient, links: Links) -> Writer:
    return Writer(upsales, fortnox, links)


def sent(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


async def test_creating_upsales_records_links_each_to_its_fortnox_entity(
    api: respx.MockRouter, writer: Writer, links: Links
) -> None:
    accounts = api.post(f"{UPSALES}/accounts").respond(json=envelope({"id": 3}))
    orders = api.post(f"{UPSALES}/orders").respond(json=envelope({"id": 4}))
    products = api.post(f"{UPSALES}/products").respond(json=envelope({"id": 6}))

    applied = await interpreter.apply([CREATE_COMPANY, CREATE_ORDER, CREATE_PRODUCT], writer)

    assert applied.created_ids == [3, 4, 6]
    assert sent(accounts)["name"] == "Acme AB"
    assert sent(orders)["description"] == "Invoice 5"
    assert sent(products)["articleNo"] == "A1"
    assert links.saved == [
        CREATE_COMPANY.link.saved(3),
        CREATE_ORDER.link.saved(4),
        CREATE_PRODUCT.link.saved(6),
    ]


async def test_updates_send_only_the_changes(
    api: respx.MockRouter, writer: Writer, links: Links
) -> None:
    account = api.put(f"{UPSALES}/accounts/3").respond(json=envelope({"id": 3}))
    order = api.put(f"{UPSALES}/orders/4").respond(json=envelope({"id": 4}))
    product = api.put(f"{UPSALES}/products/6").respond(json=envelope({"id": 6}))

    applied = await interpreter.apply([UPDATE_COMPANY, UPDATE_ORDER, UPDATE_PRODUCT], writer)

    assert applied.created == [] and links.saved == []
    assert sent(account) == {"phone": "08-1"}
    assert sent(order) == {"probability": 100}
    assert sent(product) == {"active": 0}


async def test_links_are_saved_and_removed(writer: Writer, links: Links) -> None:
    await interpreter.apply([SAVE_LINK, REMOVE_LINK, NO_CHANGE], writer)

    assert links.saved == [SAVE_LINK]
    assert links.removed == [(FortnoxType.ARTICLE, "A2")]


@pytest.mark.parametrize("shown", [None, "9"], ids=["field empty", "another number"])
async def test_the_customer_number_is_written_keeping_other_custom_values(
    api: respx.MockRouter, writer: Writer, shown: str | None
) -> None:
    custom: list[dict[str, Any]] = [{"fieldId": 12, "value": "kept"}]
    if shown is not None:
        custom.append({"fieldId": 11, "value": shown})
    api.get(f"{UPSALES}/accounts/3").respond(json=envelope({"id": 3, "custom": custom}))
    update = api.put(f"{UPSALES}/accounts/3").respond(json=envelope({"id": 3}))

    await interpreter.apply([WRITE_NUMBER], writer)

    values = {item["fieldId"]: item["value"] for item in sent(update)["custom"]}
    assert values == {12: "kept", 11: "10"}


async def test_a_customer_number_shown_already_is_not_written_again(
    api: respx.MockRouter, writer: Writer
) -> None:
    custom = [{"fieldId": 11, "value": " 10 "}]
    api.get(f"{UPSALES}/accounts/3").respond(json=envelope({"id": 3, "custom": custom}))

    await interpreter.apply([WRITE_NUMBER], writer)

    assert [call.request.method for call in api.calls] == ["GET"]


async def test_fortnox_customers_are_created_matched_and_updated_and_linked(
    api: respx.MockRouter, writer: Writer, links: Links
) -> None:
    created = api.post(f"{FORTNOX}/customers").respond(201, json=CUSTOMER_ANSWER)
    api.get(f"{FORTNOX}/customers/10").respond(json=CUSTOMER_ANSWER)
    updated = api.put(f"{FORTNOX}/customers/10").respond(json=CUSTOMER_ANSWER)

    applied = await interpreter.apply([CREATE_CUSTOMER, LINK_CUSTOMER, UPDATE_CUSTOMER], writer)

    assert sent(created) == {"Customer": {"Name": "Acme AB"}}
    assert sent(updated) == {"Customer": {"Name": "Acme AB"}}
    customer = Customer.model_validate(CUSTOMER_ANSWER["Customer"])
    link = SaveLink(
        LinkEntity.COMPANY,
        3,
        FortnoxType.CUSTOMER,
        "10",
        customer_fingerprint(customer),
        synced_fields=SYNCED,
    )
    assert links.saved == [link, link, link]
    assert len(applied.fortnox) == 3


async def test_a_customer_update_without_changes_reads_the_customer_for_its_link(
    api: respx.MockRouter, writer: Writer, links: Links
) -> None:
    read = api.get(f"{FORTNOX}/customers/10").respond(json=CUSTOMER_ANSWER)
    unchanged = UpdateFortnoxCustomer(3, "10", None, (), SYNCED)

    await interpreter.apply([unchanged], writer)

    assert read.call_count == 1 and len(api.calls) == 1
    assert [link.fortnox_id for link in links.saved] == ["10"]


async def test_fortnox_documents_are_created_linked_and_updated_keeping_row_ids(
    api: respx.MockRouter, writer: Writer, links: Links
) -> None:
    created = api.post(f"{FORTNOX}/invoices").respond(201, json=invoice_answer(5))
    api.get(f"{FORTNOX}/invoices/5").respond(json=invoice_answer(5))
    updated = api.put(f"{FORTNOX}/invoices/5").respond(json=invoice_answer(5))

    await interpreter.apply([CREATE_DOCUMENT, LINK_DOCUMENT, UPDATE_DOCUMENT], writer)

    assert sent(created)["Invoice"]["CustomerNumber"] == "10"
    assert sent(updated)["Invoice"]["InvoiceRows"][0]["ArticleNumber"] == "A1"
    link = SaveLink(LinkEntity.ORDER, 4, FortnoxType.INVOICE, "5", "fp-d", synced_fields=KEPT)
    assert links.saved == [link, link, link]


async def test_an_update_that_kept_the_bookkeepers_row_links_it_apart_from_the_deals(
    api: respx.MockRouter, writer: Writer, links: Links
) -> None:
    """The row the update named alone is the bookkeeper's: the link keeps it apart, so the
    next update keeps it too (and does not take it for a row of the deal to drop)."""
    rows = [{"RowId": 7, "ArticleNumber": "A1", "Price": 100}, {"RowId": 8, "Description": "Frakt"}]
    answer = {"Invoice": {"DocumentNumber": 5, "CustomerNumber": "10", "InvoiceRows": rows}}
    api.put(f"{FORTNOX}/invoices/5").respond(json=answer)
    document = INVOICE.model_copy(
        update={"InvoiceRows": [*(INVOICE.InvoiceRows or []), InvoiceRow(RowId=3)]}
    )
    update = replace(UPDATE_DOCUMENT, document=document, theirs=(None,))

    await interpreter.apply([update], writer)

    [link] = links.saved
    assert link.synced_fields == {**KEPT, KEPT_THEIRS: [[8, None, 1]]}


async def test_a_refused_document_change_raises_before_anything_after_it(
    api: respx.MockRouter, writer: Writer, links: Links
) -> None:
    with pytest.raises(DocumentLocked, match="booked"):
        await interpreter.apply([REFUSE, SAVE_LINK], writer)

    assert links.saved == [] and not api.calls


async def test_a_failing_write_stops_the_commands_after_it(
    api: respx.MockRouter, writer: Writer, links: Links
) -> None:
    api.put(f"{UPSALES}/accounts/3").mock(return_value=httpx.Response(400, json={"error": "no"}))

    with pytest.raises(PermanentError):
        await interpreter.apply([UPDATE_COMPANY, SAVE_LINK], writer)

    assert links.saved == []
