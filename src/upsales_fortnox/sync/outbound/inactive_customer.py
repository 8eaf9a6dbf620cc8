"""A deal's document that Fortnox refuses because its customer is inactive (shell).

Whether Fortnox takes a document for an inactive customer is not known
(``facts.INACTIVE_CUSTOMER_DOCUMENTS_REFUSED``). A linked company's document is sent without
reading its customer; when Fortnox refuses the write (a 4xx), the customer is read (one call,
only then), and an inactive one ends the deal as
:class:`~upsales_fortnox.domain.outbound.decide.CustomerInactive`, the status of a deal
waiting for its customer to be activated, instead of a bare refusal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from upsales_fortnox.domain.outbound.decide import CustomerInactive, is_inactive
from upsales_fortnox.integrations.errors import SyncError
from upsales_fortnox.integrations.fortnox.errors import FortnoxValidationError
from upsales_fortnox.integrations.ports import FortnoxPort


@asynccontextmanager
async def inactive_customer_told(
    fortnox: FortnoxPort, customer_number: str, document: str
) -> AsyncIterator[None]:
    """Around the write of the deal's ``document`` (its kind) for ``customer_number``: a
    refusal becomes :class:`CustomerInactive` when that customer is inactive; any other, or
    one whose customer cannot be read, stays as it is."""
    try:
        yield
    except FortnoxValidationError as refused:
        try:
            customer = await fortnox.get_customer(customer_number)
        except SyncError:
            raise refused from None
        if not is_inactive(customer):
            raise
        raise CustomerInactive(
            customer_number,
            f"Fortnox refused the {document} made out to it ({refused.code}: {refused.message}); "
            "the deal is sent once the customer is activated again in Fortnox",
        ) from refused
