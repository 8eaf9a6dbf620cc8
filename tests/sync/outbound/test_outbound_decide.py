"""The decisions: which orders are sent, customers matched or created, documents created,
linked, updated, left alone or refused, companies updated after a merge."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sync.outbound.outbound_builders import order, order_row
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.decide import (
    company_gate,
    decide_company_update,
    decide_customer,
    matching_customer,
    org_number_search_text,
)
from upsales_fortnox.domain.outbound.document_body import (
    held_first_write,
    without_held_row,
)
from upsales_fortnox.domain.outbound.document_decision import (
    DocumentLookup,
    decide_document,
    document_lookup,
    made_in_fortnox,
    read_before_mapping,
    rows_may_stay_unsent,
)
from upsales_fortnox.domain.outbound.kept_rows import (
    rows_to_keep,
)
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.domain.outbound.order_gate import order_gate, reason_code
from upsales_fortnox.domain.outbound.validation import CompanyRefused
from upsales_fortnox.domain.sync_commands import (
    CreateFortnoxCustomer,
    CreateFortnoxDocument,
    LinkFortnoxCustomer,
    LinkFortnoxDocument,
    NoChange,
    RefuseDocumentChange,
    UpdateFortnoxCustomer,
    UpdateFortnoxDocument,
)
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.limits import MAX_DOCUMENT_ROWS
from upsales_fortnox.integrations.fortnox.models import Customer, Invoice, Order
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity, ProductBundleMode

D = Decimal
FIELDS = {"name": "Nordisk Verkstad AB", "organisation_number": "556677-8899", "city": "Göteborg"}


def _draft(rows=None, fortnox_type=FortnoxType.INVOICE):  # type: ignore[no-untyped-def]
    return map_order(
        order(rows or [order_row(1, 2, "100"), order_row(2, 1, "50")]),
        fortnox_type=fortnox_type,
        customer_number="1001",
        article_numbers={1: "A1", 2: "A2"},
        bundle_mode=ProductBundleMode.ONLY_BUNDLE,
    )


def _link(
    fortnox_id: str,
    fingerprint: str | None,
    *,
    entity=LinkEntity.ORDER,
    fortnox_type=FortnoxType.INVOICE,
    synced=None,
) -> LinkView:  # type: ignore[no-untyped-def]
    return LinkView(entity, 7, fortnox_type, fortnox_id, fingerprint, synced)


def _stored(draft, number: int = 12, **extra: object) -> Invoice | Order:  # type: ignore[no-untyped-def]
    sent = draft.to_fortnox()
    rows_key = "InvoiceRows" if isinstance(sent, Invoice) else "OrderRows"
    wire = sent.to_wire()
    wire[rows_key] = [{**row, "RowId": 100 + i} for i, row in enumerate(wire[rows_key])]
    return type(sent).model_validate({**wire, "DocumentNumber": number, **extra})


def test_only_won_orders_with_a_company_pass_the_gate() -> None:
    assert order_gate(order([], probability=100)) is None
    gate = order_gate(order([], probability=75))
    assert isinstance(gate, NoChange) and "75 %" in gate.reason
    assert gate.reason.startswith("order_not_won: ") and reason_code(gate.reason) == "order_not_won"
    assert isinstance(order_gate(order([], probability=0)), NoChange)
    no_company = order_gate(order([], client_id=None))
    assert no_company is not None and reason_code(no_company.reason) == "order_without_company"
    assert reason_code("the order has no company") is None  # words alone are no code


def test_customer_matched_by_normalised_org_number() -> None:
    candidates = [
        Customer(CustomerNumber="20", OrganisationNumber="5566778899"),
        Customer(CustomerNumber="5", OrganisationNumber="16556677-8899"),
        Customer(CustomerNumber="3", OrganisationNumber="556677-0000"),
    ]
    decision = decide_customer(3, FIELDS, candidates)
    assert decision == LinkFortnoxCustomer(3, "5", FIELDS)
    assert org_number_search_text(FIELDS) == "556677"
    assert org_number_search_text({"name": "x"}) is None


def test_customer_without_org_number_matched_by_exact_name_only_when_fortnox_has_none() -> None:
    fields = {"name": "Acme  AB", "organisation_number": None}
    assert matching_customer(fields, [Customer(CustomerNumber="1", Name="acme ab")]) is not None
    assert matching_customer(fields, [Customer(CustomerNumber="1", Name="Acme AB Öst")]) is None
    taken = Customer(CustomerNumber="1", Name="Acme AB", OrganisationNumber="556677-8899")
    assert matching_customer(fields, [taken]) is None
    assert matching_customer(FIELDS, [Customer(CustomerNumber="1", Name=FIELDS["name"])]) is None


def test_an_active_match_is_linked_before_an_inactive_one() -> None:
    """The bookkeeper retired customer 3: the company links the active customer 9 with its
    organisation number, though 3 has the lower number. A match of unknown state counts as
    active (list items do not carry ``Active``)."""
    candidates = [
        Customer(CustomerNumber="3", OrganisationNumber="5566778899", Active=False),
        Customer(CustomerNumber="9", OrganisationNumber="556677-8899", Active=True),
        Customer(CustomerNumber="12", OrganisationNumber="556677-8899"),
    ]
    assert decide_customer(3, FIELDS, candidates) == LinkFortnoxCustomer(3, "9", FIELDS)
    assert decide_customer(3, FIELDS, candidates[::-1]) == LinkFortnoxCustomer(3, "9", FIELDS)
    assert decide_customer(3, FIELDS, [candidates[0], candidates[2]]) == LinkFortnoxCustomer(
        3, "12", FIELDS
    )


def test_a_company_whose_only_matches_are_inactive_is_refused_not_linked_nor_created() -> None:
    """Creating a customer would put the company in Fortnox twice, and linking the retired one
    would invoice a customer the bookkeeper took out of use: the deal waits for the bookkeeper,
    with a stable code naming the customer (the lowest number of several)."""
    retired = [
        Customer(CustomerNumber="14", OrganisationNumber="5566778899", Active=False),
        Customer(CustomerNumber="7", OrganisationNumber="556677-8899", Active=False),
    ]
    for candidates in (retired, retired[:1]):
        with pytest.raises(PermanentError) as refused:
            decide_customer(3, FIELDS, candidates)
        assert refused.value.code == "fortnox_customer_inactive"
        number = candidates[-1].CustomerNumber
        assert refused.value.message.startswith(f"Fortnox customer {number} is inactive")
    named = {"name": "Acme AB", "organisation_number": None}
    with pytest.raises(PermanentError, match="Fortnox customer 5 is inactive"):
        decide_customer(3, named, [Customer(CustomerNumber="5", Name="ACME AB", Active=False)])


def test_unmatched_company_is_created_or_refused() -> None:
    decision = decide_customer(3, FIELDS, [])
    assert isinstance(decision, CreateFortnoxCustomer)
    assert decision.customer.to_wire() == {
        "Name": "Nordisk Verkstad AB",
        "OrganisationNumber": "556677-8899",
        "City": "Göteborg",
        "Type": "COMPANY",
    }
    assert decision.synced_fields == FIELDS
    with pytest.raises(CompanyRefused, match="organisation number"):
        decide_customer(3, {"name": "X", "organisation_number": "123"}, [])
    with pytest.raises(CompanyRefused, match="no name"):
        decide_customer(3, {"name": None}, [])


def test_document_lookup() -> None:
    draft = _draft()
    assert document_lookup(draft, None, sent_before=True) is DocumentLookup.SEARCH
    assert document_lookup(draft, None, sent_before=False) is DocumentLookup.NONE
    for sent_before in (True, False):
        same = _link("12", draft.fingerprint())
        assert document_lookup(draft, same, sent_before=sent_before) is DocumentLookup.NONE
        assert document_lookup(draft, _link("12", "old"), sent_before=sent_before) is (
            DocumentLookup.GET
        )
        kept = _link("12", "old", synced={"rows": [[4, "A1"]]})
        assert document_lookup(draft, kept, sent_before=sent_before) is DocumentLookup.NONE


def test_an_edit_of_our_document_updates_the_rows_the_link_keeps_unread() -> None:
    draft = _draft([order_row(2, 1, "50"), order_row(1, 3, "100"), order_row(1, 1, "100")])
    link = _link("12", "old", synced={"rows": [[40, "A1"], [41, "A2"], [42, "A9"]]})

    decision = decide_document(draft, link, None)

    assert isinstance(decision, UpdateFortnoxDocument)
    assert decision.document_number == 12 and decision.fingerprint == draft.fingerprint()
    assert isinstance(decision.document, Invoice)
    rows = decision.document.InvoiceRows or []
    assert [(row.RowId, row.ArticleNumber) for row in rows] == [
        (41, "A2"),
        (40, "A1"),
        (None, "A1"),
    ]


@pytest.mark.parametrize(
    "synced", [None, {"name": "x"}, {"rows": "x"}, {"rows": [["4", "A1"]]}, {"rows": [[4]]}]
)
def test_a_link_that_keeps_no_valid_rows_needs_the_document_read(synced: object) -> None:
    draft = _draft()
    link = _link("12", "old", synced=synced)
    assert document_lookup(draft, link, sent_before=True) is DocumentLookup.GET
    with pytest.raises(ValueError, match="must be read"):
        decide_document(draft, link, None)


def test_new_won_order_creates_the_document() -> None:
    draft = _draft()
    decision = decide_document(draft, None, None)
    assert isinstance(decision, CreateFortnoxDocument)
    assert decision.fortnox_type is FortnoxType.INVOICE and decision.net == D("250.00")
    assert decision.fingerprint == draft.fingerprint()


def test_a_document_found_by_reference_is_linked_not_created_again() -> None:
    draft = _draft()
    decision = decide_document(draft, None, _stored(draft))
    assert decision == LinkFortnoxDocument(7, FortnoxType.INVOICE, 12, draft.fingerprint())
    # found but different (edited meanwhile): updated, not created
    changed = _draft([order_row(1, 9, "100")])
    assert isinstance(decide_document(changed, None, _stored(draft)), UpdateFortnoxDocument)


def test_unchanged_order_does_nothing() -> None:
    draft = _draft()
    decision = decide_document(draft, _link("12", draft.fingerprint()), None)
    assert isinstance(decision, NoChange)


def test_a_linked_document_must_be_read_before_an_update() -> None:
    with pytest.raises(ValueError):
        decide_document(_draft(), _link("12", "old"), None)


def test_changed_order_updates_rows_by_row_id() -> None:
    before = _draft()
    after = _draft([order_row(2, 3, "50"), order_row(1, 2, "100"), order_row(1, 1, "10")])
    decision = decide_document(after, _link("12", before.fingerprint()), _stored(before))
    assert isinstance(decision, UpdateFortnoxDocument)
    assert decision.document_number == 12 and decision.net == D("360.00")
    rows = decision.document.to_wire()["InvoiceRows"]
    assert [(r["ArticleNumber"], r.get("RowId")) for r in rows] == [
        ("A2", 101),
        ("A1", 100),
        ("A1", None),
    ]


def test_a_document_made_in_fortnox_is_not_overwritten_from_upsales() -> None:
    before = _draft()
    made_in_fortnox = _stored(before, ExternalInvoiceReference1=None)
    decision = decide_document(_draft([order_row(1, 5, "100")]), _link("12", "x"), made_in_fortnox)
    assert isinstance(decision, NoChange) and "made in Fortnox" in decision.reason
    other_order = _stored(before, ExternalInvoiceReference1="upsales-order:8")
    decision = decide_document(_draft([order_row(1, 5, "100")]), _link("12", "x"), other_order)
    assert isinstance(decision, NoChange)


def test_a_document_the_sync_may_not_have_written_is_read_before_the_order_is_mapped() -> None:
    """Read first, a document made in Fortnox is left before the order's rows (a free-text
    row's product has no article) are mapped; only the sync's own writes keep rows."""
    written = _stored(_draft())
    own = _link("12", "x", synced=rows_to_keep(written))
    imported = _link("12", "x")
    assert not read_before_mapping(own) and read_before_mapping(imported)
    assert not read_before_mapping(None)
    assert not rows_may_stay_unsent(own) and not rows_may_stay_unsent(None)
    assert rows_may_stay_unsent(imported)
    assert rows_may_stay_unsent(_link("3", None, fortnox_type=FortnoxType.OFFER, synced={}))
    assert made_in_fortnox(written, 7, FortnoxType.INVOICE) is None
    elsewhere = made_in_fortnox(
        _stored(_draft(), ExternalInvoiceReference1=None), 7, FortnoxType.INVOICE
    )
    assert isinstance(elsewhere, NoChange) and "invoice 12 was made in Fortnox" in elsewhere.reason
    another = made_in_fortnox(written, 8, FortnoxType.INVOICE)
    assert isinstance(another, NoChange)


def test_changed_order_whose_document_is_locked_is_a_conflict() -> None:
    before = _draft()
    after = _draft([order_row(1, 5, "100")])
    decision = decide_document(
        after, _link("12", before.fingerprint()), _stored(before, Booked=True)
    )
    assert isinstance(decision, RefuseDocumentChange)
    assert decision.document_number == 12 and "booked" in decision.reason
    order_draft = _draft(fortnox_type=FortnoxType.ORDER)
    invoiced = _stored(order_draft, InvoiceReference="31")
    decision = decide_document(
        _draft([order_row(1, 5, "100")], FortnoxType.ORDER), _link("12", "old"), invoiced
    )
    assert isinstance(decision, RefuseDocumentChange) and "invoiced" in decision.reason


def test_company_gate() -> None:
    gate = company_gate(None, FIELDS)
    assert isinstance(gate, NoChange) and "first won order" in gate.reason
    link = _link("1001", "fp", entity=LinkEntity.COMPANY, synced=FIELDS)
    assert isinstance(company_gate(link, dict(FIELDS)), NoChange)
    assert company_gate(link, {**FIELDS, "city": "Lund"}) is None
    # a link without synced fields (made by the Fortnox → Upsales sync) always merges
    assert company_gate(_link("1001", "fp", entity=LinkEntity.COMPANY), FIELDS) is None


def test_company_update_writes_upsales_changes_and_keeps_fortnox_ones() -> None:
    link = _link("1001", "fp", entity=LinkEntity.COMPANY, synced=FIELDS)
    upsales = {**FIELDS, "name": "Nordisk Verkstad Holding AB", "city": "Lund"}
    fortnox = Customer(
        CustomerNumber="1001", Name=FIELDS["name"], OrganisationNumber="5566778899", City="Malmö"
    )
    decision = decide_company_update(3, link, upsales, fortnox)
    assert isinstance(decision, UpdateFortnoxCustomer)
    assert decision.changes is not None
    assert decision.changes.to_wire() == {"Name": "Nordisk Verkstad Holding AB"}
    assert decision.changed_fields == ("name",) and decision.conflicts == ("city",)
    assert decision.changed_in_fortnox == ("city",)
    assert decision.synced_fields == {**FIELDS, "name": "Nordisk Verkstad Holding AB"}


def test_company_update_with_nothing_for_fortnox() -> None:
    link = _link("1001", "x", entity=LinkEntity.COMPANY, synced=FIELDS)
    fortnox = Customer(Name=FIELDS["name"], OrganisationNumber="556677-8899", City="Malmö")
    decision = decide_company_update(3, link, dict(FIELDS), fortnox)
    assert decision.changes is None and decision.changed_in_fortnox == ("city",)
    assert decision.synced_fields == FIELDS  # city waits for the Fortnox → Upsales sync
    same = Customer(Name=FIELDS["name"], OrganisationNumber="556677-8899", City="Göteborg")
    decision = decide_company_update(3, link, dict(FIELDS), same)
    assert decision.changes is None and decision.changed_in_fortnox == ()


def test_company_update_refused_when_fortnox_would_refuse_it() -> None:
    link = _link("1001", "x", entity=LinkEntity.COMPANY, synced=FIELDS)
    fortnox = Customer(Name=FIELDS["name"], OrganisationNumber="556677-8899", City="Göteborg")
    with pytest.raises(CompanyRefused, match="ZipCode"):
        decide_company_update(3, link, {**FIELDS, "zip_code": "x" * 11}, fortnox)


def test_an_update_that_keeps_none_of_the_rows_holds_one_then_leaves_it_out() -> None:
    """Rows that name no ``RowId`` would be written over the old rows in order; so one old row
    is held in a first write (the deal's rows are added as new rows) and left out of a second,
    on the read path and on the rows a link keeps alike."""
    before = _draft()
    after = map_order(
        order([order_row(3, 2, "70"), order_row(4, 1, "5")]),
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1001",
        article_numbers={3: "A3", 4: "A4"},
        bundle_mode=ProductBundleMode.ONLY_BUNDLE,
    )
    kept = _link("12", "old", synced={"rows": [[40, "A1"], [41, "A2"]]})
    for decision in (
        decide_document(after, _link("12", before.fingerprint()), _stored(before)),
        decide_document(after, kept, None),
    ):
        assert isinstance(decision, UpdateFortnoxDocument)
        held = decision.held_row_id
        assert held in (100, 40)
        rows = decision.document.to_wire()["InvoiceRows"]
        assert rows[0] == {"RowId": held}
        assert [(r.get("ArticleNumber"), r.get("RowId")) for r in rows[1:]] == [
            ("A3", None),
            ("A4", None),
        ]
        new_rows = [{**row, "RowId": 8 + i} for i, row in enumerate(rows[1:])]
        answered = Invoice.model_validate(
            {"InvoiceRows": [{"RowId": 7, "ArticleNumber": "A1"}, *new_rows]}
        )
        second = without_held_row(decision.document, answered).to_wire()["InvoiceRows"]
        assert [(r["ArticleNumber"], r["RowId"], r["Price"]) for r in second] == [
            ("A3", 8, D("70.00")),
            ("A4", 9, D("5.00")),
        ]
    # an update that keeps a row needs one write
    partly = decide_document(_draft([order_row(1, 1, "100")]), kept, None)
    assert isinstance(partly, UpdateFortnoxDocument) and partly.held_row_id is None


def test_a_deal_at_the_row_limit_that_keeps_none_of_its_rows_stays_within_it_in_both_writes() -> (
    None
):
    """The held row would make the first write one row over Fortnox's limit: the deal's last
    row waits for the second write, where it is added as a new row."""
    count = MAX_DOCUMENT_ROWS
    after = map_order(
        order([order_row(1000 + i, 1, "10") for i in range(count)]),
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1001",
        article_numbers={1000 + i: f"B{i}" for i in range(count)},
        bundle_mode=ProductBundleMode.ONLY_BUNDLE,
    )
    kept = _link("12", "old", synced={"rows": [[40, "A1"], [41, "A2"]]})
    decision = decide_document(after, kept, None)
    assert isinstance(decision, UpdateFortnoxDocument) and decision.held_row_id == 40

    first = held_first_write(decision.document).to_wire()["InvoiceRows"]
    assert len(first) == count
    assert first[0] == {"RowId": 40}
    assert [row["ArticleNumber"] for row in first[1:]] == [f"B{i}" for i in range(count - 1)]

    answered = Invoice.model_validate(
        {
            "InvoiceRows": [
                {"RowId": 40, "ArticleNumber": "A1"},
                *({**row, "RowId": 2000 + i} for i, row in enumerate(first[1:])),
            ]
        }
    )
    second = without_held_row(decision.document, answered).to_wire()["InvoiceRows"]
    assert [row["ArticleNumber"] for row in second] == [f"B{i}" for i in range(count)]
    assert [row.get("RowId") for row in second] == [*range(2000, 2000 + count - 1), None]
