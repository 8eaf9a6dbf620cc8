"""The Fortnox document kinds inbound sync handles, by their job kind."""

from __future__ import annotations

from typing import Final

from upsales_fortnox.db.models import FortnoxType
from upsales_fortnox.vocabulary import JobKind

DOCUMENT_KINDS: Final = {
    JobKind.FORTNOX_ORDER: FortnoxType.ORDER,
    JobKind.FORTNOX_INVOICE: FortnoxType.INVOICE,
    JobKind.FORTNOX_OFFER: FortnoxType.OFFER,
}
