"""Writing a document's link to its Upsales order (custom field ``FORTNOX_DOCUMENT_URL``).

The write is skipped when the order as the job read it holds the link already: the echo of our
own write costs nothing. Otherwise the order is read again just before the write, which sends
its whole ``custom`` array as read then, changed only in that field
(:func:`~upsales_fortnox.sync.order_values.write_order_values`): a custom value the rep typed
while the job made the document is kept, not overwritten with the job's earlier copy.
"""

from __future__ import annotations

import uuid
from typing import Final

from upsales_fortnox.documents.service import LinkSigning, document_url
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.models import CustomValue, Order
from upsales_fortnox.services import Services
from upsales_fortnox.sync.field_ids import custom_field_ids
from upsales_fortnox.sync.order_values import UNCHANGED, write_order_values
from upsales_fortnox.vocabulary import FortnoxType

# --- order custom fields (issue 11, part 3: documents) ---
DOCUMENT_URL_FIELD_ALIAS: Final = "FORTNOX_DOCUMENT_URL"
"""Order custom field holding the link to the linked Fortnox document's PDF."""
# --- end order custom fields (documents) ---


async def document_url_field_id(
    services: Services, installation_id: uuid.UUID, upsales: UpsalesPort
) -> int | None:
    found = await custom_field_ids(
        services.session_factory, installation_id, upsales, "order", [DOCUMENT_URL_FIELD_ALIAS]
    )
    return found[DOCUMENT_URL_FIELD_ALIAS]


async def write_document_url(
    services: Services,
    installation_id: uuid.UUID,
    upsales: UpsalesPort,
    order: Order,
    kind: FortnoxType,
    number: str,
) -> str:
    """Put the document's link on the order; what happened (``written``, ``unchanged``,
    ``order_missing``: Upsales no longer has the order, ``no_field``: the account has no order
    field with the alias)."""
    field_id = await document_url_field_id(services, installation_id, upsales)
    if field_id is None:
        return "no_field"
    signing = LinkSigning.of(services.settings)
    url = await document_url(services.session_factory, signing, installation_id, kind, number)
    current = {value.fieldId: value.value for value in order.custom or ()}
    if current.get(field_id) == url:
        return UNCHANGED
    return await write_order_values(upsales, order.id, [CustomValue(fieldId=field_id, value=url)])
