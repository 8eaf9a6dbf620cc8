"""A refused write of a deal's document is told as the customer's being inactive only when the
customer, read after the refusal, is inactive; any other refusal stays as Fortnox gave it."""

from __future__ import annotations

from typing import Any, cast

import pytest

from upsales_fortnox.domain.outbound.decide import CustomerInactive
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound, FortnoxValidationError
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.sync.outbound.inactive_customer import inactive_customer_told


class _Customers:
    def __init__(self, customer: Customer | None) -> None:
        self.customer = customer
        self.reads = 0

    async def get_customer(self, number: str) -> Customer:
        self.reads += 1
        if self.customer is None:
            raise FortnoxNotFound(f"GET /customers/{number}: 404", status=404)
        return self.customer


async def _written(fortnox: Any, error: Exception | None) -> None:
    async with inactive_customer_told(cast(FortnoxPort, fortnox), "K-1", "invoice"):
        if error is not None:
            raise error


def _refusal() -> FortnoxValidationError:
    return FortnoxValidationError("POST /invoices: HTTP 400", status=400, fortnox_code=2000588)


async def test_a_refusal_for_an_inactive_customer_says_so() -> None:
    fortnox = _Customers(Customer(CustomerNumber="K-1", Active=False))
    with pytest.raises(CustomerInactive, match="Fortnox customer K-1 is inactive: Fortnox refused"):
        await _written(fortnox, _refusal())


@pytest.mark.parametrize("customer", [Customer(CustomerNumber="K-1", Active=True), None])
async def test_any_other_refusal_stays_as_fortnox_gave_it(customer: Customer | None) -> None:
    fortnox = _Customers(customer)
    refusal = _refusal()
    with pytest.raises(FortnoxValidationError) as raised:
        await _written(fortnox, refusal)
    assert raised.value is refusal and fortnox.reads == 1


async def test_a_write_that_is_not_refused_reads_no_customer() -> None:
    fortnox = _Customers(Customer(CustomerNumber="K-1", Active=False))
    await _written(fortnox, None)
    with pytest.raises(FortnoxNotFound):
        await _written(fortnox, FortnoxNotFound("PUT /invoices/7: 404", status=404))
    assert fortnox.reads == 0
