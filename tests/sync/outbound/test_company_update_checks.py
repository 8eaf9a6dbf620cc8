"""What an update of a linked customer is checked for: the fields it sends (in the customer's
country), never a value the bookkeeper keeps in Fortnox that the update leaves as it is."""

from __future__ import annotations

from typing import Any

import pytest

from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.company import company_fields_from_fortnox
from upsales_fortnox.domain.outbound.decide import decide_company_update
from upsales_fortnox.domain.outbound.validation import CompanyRefused
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


def _linked(**customer_fields: Any) -> tuple[Customer, LinkView, dict[str, str | None]]:
    """A customer, its link (synced as the customer is) and the company's fields (the same)."""
    customer = Customer(CustomerNumber="7", Name="Fjord Fisk AS", Phone1="1", **customer_fields)
    fields = company_fields_from_fortnox(customer)
    link = LinkView(LinkEntity.COMPANY, 5, FortnoxType.CUSTOMER, "7", "fp", fields)
    return customer, link, fields


@pytest.mark.parametrize(
    "kept_in_fortnox",
    [
        {"OrganisationNumber": "987654321"},  # a foreign number, no country given
        {"Email": "ekonomi@fjordfisk"},
    ],
)
def test_a_phone_edit_is_sent_whatever_else_the_bookkeeper_keeps(
    kept_in_fortnox: dict[str, str],
) -> None:
    customer, link, fields = _linked(**kept_in_fortnox)
    decision = decide_company_update(5, link, {**fields, "phone": "2"}, customer)
    assert decision.changes is not None
    assert decision.changes.to_wire() == {"Phone1": "2"}


def test_a_sent_value_is_checked_in_the_customers_country() -> None:
    """An organisation number the rep gives is checked against the country the customer has in
    Fortnox: not Swedish-shaped in Sweden is refused, abroad it is not."""
    customer, link, fields = _linked(CountryCode="SE")
    with pytest.raises(CompanyRefused, match="987654321"):
        decide_company_update(5, link, {**fields, "organisation_number": "987654321"}, customer)
    with pytest.raises(CompanyRefused, match="e-mail"):
        decide_company_update(5, link, {**fields, "email": "ekonomi@fjordfisk"}, customer)


def test_a_country_cleared_alone_sends_nothing() -> None:
    """Fortnox cannot clear a country code: a rep who clears only the country has nothing to
    send, so no call is made and the job does not report the country as updated."""
    customer, link, fields = _linked(CountryCode="SE", City="Bergen")
    decision = decide_company_update(5, link, {**fields, "country_code": None}, customer)
    assert decision.changes is None and decision.changed_fields == ()
    moved = {**fields, "country_code": None, "city": "Oslo"}
    both = decide_company_update(5, link, moved, customer)
    assert both.changes is not None and both.changes.to_wire() == {"City": "Oslo"}
    assert both.changed_fields == ("city",)
