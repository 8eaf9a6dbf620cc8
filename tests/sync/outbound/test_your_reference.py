"""The deal's contact person as the document's "Er referens" (``YourReference``): set when the
document is made, replaced or cleared when the deal's contact changes, and otherwise left as the
document has it (a reference the bookkeeper typed stays)."""

from __future__ import annotations

from typing import Any

from tests.sync.outbound.outbound_builders import order, order_row
from upsales_fortnox.domain.catchup import OrderLinks, order_is_synced
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.added_rows import rows_kept
from upsales_fortnox.domain.outbound.customer_header import made_out_to
from upsales_fortnox.domain.outbound.document_body import DocumentDraft
from upsales_fortnox.domain.outbound.document_decision import (
    decide_document,
)
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.domain.outbound.your_reference import KEPT_YOUR_REFERENCE, contact_reference
from upsales_fortnox.domain.sync_commands import (
    CreateFortnoxDocument,
    LinkFortnoxDocument,
    NoChange,
    UpdateFortnoxDocument,
)
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.integrations.fortnox.models import API_BLANK, Customer, Invoice, InvoiceRow
from upsales_fortnox.integrations.upsales.models import Ref
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity, ProductBundleMode

ANNA = {"id": 4, "name": "Anna Inköpare", "email": "anna@example.se"}


def _draft(contact: dict[str, Any] | None = ANNA, quantity: int = 2) -> DocumentDraft:
    return map_order(
        order([order_row(1, quantity, "100")], contact=contact),
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1001",
        article_numbers={1: "A1"},
        bundle_mode=ProductBundleMode.ONLY_BUNDLE,
    )


def _sent(draft: DocumentDraft, synced: dict[str, Any] | None = None) -> LinkView:
    """The link of a document sent as ``draft`` wants it (as the sync records it)."""
    decision = decide_document(draft, None, None)
    assert isinstance(decision, CreateFortnoxDocument)
    written = decision.document.model_copy(
        update={"DocumentNumber": 12, "InvoiceRows": [InvoiceRow(RowId=100, ArticleNumber="A1")]}
    )
    kept = rows_kept(written, decision) if synced is None else synced
    return LinkView(LinkEntity.ORDER, 7, FortnoxType.INVOICE, "12", decision.fingerprint, kept)


def _update(draft: DocumentDraft, link: LinkView) -> UpdateFortnoxDocument:
    decision = decide_document(draft, link, None)
    assert isinstance(decision, UpdateFortnoxDocument), decision
    return decision


def test_a_new_document_names_the_deals_contact_cut_to_fortnoxs_limit() -> None:
    decision = decide_document(_draft(), None, None)
    assert isinstance(decision, CreateFortnoxDocument)
    assert decision.document.to_wire()["YourReference"] == "Anna Inköpare"
    assert decision.your_reference == "Anna Inköpare"
    long_name = {"id": 4, "name": "  Anna   " + "x" * 80}
    assert contact_reference(Ref.model_validate(long_name)) == ("Anna " + "x" * 45, False)
    # without a contact, none is sent: Fortnox puts the customer's own reference there
    bare = decide_document(_draft(contact=None), None, None)
    assert isinstance(bare, CreateFortnoxDocument)
    assert "YourReference" not in bare.document.to_wire()


def test_the_link_keeps_the_reference_and_an_unchanged_deal_sends_nothing() -> None:
    link = _sent(_draft())
    assert (link.synced_fields or {})[KEPT_YOUR_REFERENCE] == "Anna Inköpare"
    assert isinstance(decide_document(_draft(), link, None), NoChange)


def test_a_change_of_rows_leaves_the_documents_reference_as_it_is() -> None:
    """A reference the bookkeeper typed on the document stays: the update sends none."""
    update = _update(_draft(quantity=3), _sent(_draft()))
    assert "YourReference" not in update.document.to_wire()
    assert update.your_reference == "Anna Inköpare"  # still what the link keeps


def test_another_contact_replaces_the_name_and_a_removed_one_clears_it() -> None:
    link = _sent(_draft())
    bo = _update(_draft(contact={"id": 5, "name": "Bo Bengtsson"}), link)
    assert bo.document.to_wire()["YourReference"] == "Bo Bengtsson"
    cleared = _update(_draft(contact=None), link)
    assert cleared.document.to_wire()["YourReference"] == API_BLANK
    assert cleared.your_reference is None
    # a contact added to a deal sent without one is sent
    added = _update(_draft(), _sent(_draft(contact=None)))
    assert added.document.to_wire()["YourReference"] == "Anna Inköpare"


def test_a_contact_without_its_name_leaves_the_reference_as_last_written() -> None:
    unnamed = _draft(contact={"id": 4})
    link = _sent(_draft())
    assert isinstance(decide_document(unnamed, link, None), NoChange)
    update = _update(_draft(contact={"id": 4}, quantity=3), link)
    assert "YourReference" not in update.document.to_wire()
    assert update.your_reference == "Anna Inköpare"
    created = decide_document(unnamed, None, None)
    assert isinstance(created, CreateFortnoxDocument)
    assert "YourReference" not in created.document.to_wire()


def test_a_document_sent_before_references_were_counts_as_sent() -> None:
    """Its link keeps no reference and its fingerprint was taken without one: no change to
    send (nor to refuse on a booked invoice)."""
    old = _sent(_draft(contact=None), synced={"rows": [[100, "A1"]], "customer": "1001"})
    assert isinstance(decide_document(_draft(), old, None), NoChange)
    assert "YourReference" not in _update(_draft(contact=None, quantity=3), old).document.to_wire()


def test_a_document_sent_before_references_were_keeps_the_reference_it_has() -> None:
    """What such a document has in "Er referens" (typed by the bookkeeper, or the customer's
    own) is not known without a read: its next update sends the contact only to a document read
    with none, and the link keeps the contact from then on (a change of contact is sent)."""
    old = _sent(_draft(contact=None), synced={"rows": [[100, "A1"]], "customer": "1001"})
    unread = _update(_draft(quantity=3), old)
    assert "YourReference" not in unread.document.to_wire()
    assert unread.your_reference == "Anna Inköpare"
    read_first = _sent(_draft(contact=None), synced={"customer": "1001"})
    typed = _document(YourReference="Anna, inköp ref 4411")
    kept = decide_document(_draft(quantity=3), read_first, typed)
    assert isinstance(kept, UpdateFortnoxDocument)
    assert "YourReference" not in kept.document.to_wire()
    empty = decide_document(_draft(quantity=3), read_first, _document(YourReference=""))
    assert isinstance(empty, UpdateFortnoxDocument)
    assert empty.document.to_wire()["YourReference"] == "Anna Inköpare"


def test_the_catchup_sees_the_same() -> None:
    link = _sent(_draft())
    links = OrderLinks(orders={7: link}, companies={3: _customer_link()}, articles={1: "A1"})
    settings = SyncSettings()
    assert order_is_synced(order([order_row(1, 2, "100")], contact=ANNA), links, settings)
    other = order([order_row(1, 2, "100")], contact={"id": 5, "name": "Bo"})
    assert order_is_synced(other, links, settings) is False


def _document(**fields: Any) -> Invoice:
    """The invoice sent for order 7 (two of article A1) as Fortnox answers it."""
    return Invoice(
        DocumentNumber=12,
        CustomerNumber="1001",
        Currency="SEK",
        CurrencyRate=1,
        CurrencyUnit=1,
        OurReference="Erik Säljare",
        ExternalInvoiceReference1="upsales-order:7",
        InvoiceRows=[InvoiceRow(RowId=1, ArticleNumber="A1", DeliveredQuantity=2, Price=100)],
        **fields,
    )


def _customer_link() -> LinkView:
    return LinkView(LinkEntity.COMPANY, 3, FortnoxType.CUSTOMER, "1001", None, None)


def test_a_document_found_after_a_crash_is_linked_with_its_reference() -> None:
    draft = _draft()
    found = _document(YourReference="Anna Inköpare")
    linked = decide_document(draft, None, found)
    assert isinstance(linked, LinkFortnoxDocument) and linked.your_reference == "Anna Inköpare"
    # a deal without a contact: the customer's reference Fortnox put there is no difference
    default = found.model_copy(update={"YourReference": "Inköp"})
    assert isinstance(decide_document(_draft(contact=None), None, default), LinkFortnoxDocument)


def test_a_document_made_out_to_another_customer_keeps_the_deals_contact() -> None:
    update = _update(_draft(quantity=3), _sent(_draft()))
    customer = Customer(CustomerNumber="2002", Name="Ny Kund AB", YourReference="Kundens ref")
    assert made_out_to(update, customer).document.YourReference == "Anna Inköpare"
    without = _update(_draft(contact=None, quantity=3), _sent(_draft(contact=None)))
    assert made_out_to(without, customer).document.YourReference == "Kundens ref"


def test_a_name_cut_to_fortnoxs_limit_ends_on_a_whole_letter_and_no_space() -> None:
    """Cut at 50 characters, the name keeps no trailing space, and a letter written as a base
    letter and its mark (as some systems store "å") counts once and is never cut in two."""
    spaced = Ref.model_validate({"id": 4, "name": "x" * 49 + " Berg"})
    assert contact_reference(spaced) == ("x" * 49, False)
    decomposed = "Ra" + "a\u030a" * 60  # "Raååå…", each "å" as "a" and its ring
    reference, _ = contact_reference(Ref.model_validate({"id": 4, "name": decomposed}))
    assert reference == "Ra" + "å" * 48
