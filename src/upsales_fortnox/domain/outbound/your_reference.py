"""The deal's contact person as the document's "Er referens" (``YourReference``) (pure).

A bookkeeper reads on the invoice whom the buyer named: the Upsales order's contact
(``order.contact``), its name cut to Fortnox's 50 characters. The document takes it when it is
made; a deal without a contact sends none, so Fortnox puts the customer's own reference there,
as on any document of the customer. An update sends it only when the deal's contact changed
since the sync last wrote the document: the new contact's name replaces the old, a contact
removed clears it (no stale name stays). Otherwise an update leaves the field as the document
has it, so a reference the bookkeeper typed there stays until the sales rep changes the deal's
contact, as the bookkeeper's rows stay (:mod:`.added_rows`). The link keeps the reference the
last write wanted (:data:`KEPT_YOUR_REFERENCE` in its synced fields).

A contact that comes without its name changes nothing: the reference last written stays
(*unverified* that Upsales embeds it: ``facts.ORDER_CONTACT_EMBEDS_NAME`` of Upsales).

A document sent before the contact was sent has no reference in its link: its fingerprint, taken
without one, still counts as sent; its next update sends the deal's contact only to a document
read with no reference of its own (what one has may be the bookkeeper's), never clears, and
from then on its link keeps the contact.

The fingerprint of a document that wants a reference is taken over the fingerprint without it
and the reference (:func:`with_reference`), so fingerprints of deals without a contact are as
they were.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any, Final

from upsales_fortnox.domain.fingerprint import fingerprint
from upsales_fortnox.integrations.fortnox.limits import DOCUMENT_MAX_LENGTHS
from upsales_fortnox.integrations.fortnox.models import API_BLANK, Invoice, Order
from upsales_fortnox.integrations.upsales.models import Ref

YOUR_REFERENCE_MAX: Final = DOCUMENT_MAX_LENGTHS["YourReference"]
KEPT_YOUR_REFERENCE: Final = "your_reference"
"""Key of the reference an order link keeps: what the sync's last write wanted (None: none)."""


def contact_reference(contact: Ref | None) -> tuple[str | None, bool]:
    """The deal's contact as "Er referens" (white space folded, letters composed so that a
    letter and its mark count once and are never parted, cut to what Fortnox accepts, ending on
    no space), and whether the order names a contact without its name (then the reference is
    not known)."""
    if contact is None:
        return None, False
    folded = " ".join(unicodedata.normalize("NFC", contact.name or "").split())
    name = folded[:YOUR_REFERENCE_MAX].rstrip()
    return (name, False) if name else (None, contact.name is None)


def with_reference(bare: str, reference: str | None) -> str:
    """The fingerprint of a document as ``bare`` with ``reference`` as its "Er referens"."""
    if reference is None:
        return bare
    return fingerprint({"document": bare, KEPT_YOUR_REFERENCE: reference})


def _kept(synced_fields: Mapping[str, Any] | None) -> tuple[bool, str | None]:
    """Whether the link keeps a reference, and which (None: the last write wanted none)."""
    if synced_fields is None or KEPT_YOUR_REFERENCE not in synced_fields:
        return False, None
    value = synced_fields[KEPT_YOUR_REFERENCE]
    return True, value if isinstance(value, str) and value else None


def resolved(
    wanted: str | None, unnamed: bool, synced_fields: Mapping[str, Any] | None
) -> str | None:
    """The reference the document is to have: the deal's, or for a contact without its name
    the one the link keeps (the last write's)."""
    return _kept(synced_fields)[1] if unnamed else wanted


def accepted(wanted: str | None, synced_fields: Mapping[str, Any] | None) -> tuple[str | None, ...]:
    """The references a document sent as the deal wants it may have been sent with: the
    (resolved) ``wanted``, and none for a link from before references were sent."""
    known, _ = _kept(synced_fields)
    return (wanted,) if known or wanted is None else (wanted, None)


def to_send(
    wanted: str | None, synced_fields: Mapping[str, Any] | None, read: Invoice | Order | None
) -> str | None:
    """What a write sends as ``YourReference`` for the (resolved) ``wanted``: None to send
    nothing (unchanged since the last write, which leaves the document's own), the name, or
    ``API_BLANK`` to clear the name the last write sent. A link that keeps no reference (from
    before references were sent) sends the name only to a document ``read`` with none of its
    own: what it has may be the bookkeeper's."""
    known, base = _kept(synced_fields)
    if not known:
        empty = read is not None and not (read.YourReference or "").strip()
        return wanted if empty else None
    if wanted == base:
        return None
    return API_BLANK if wanted is None else wanted


def referenced(document: Invoice | Order, value: str | None) -> Invoice | Order:
    """``document`` sending ``value`` (see :func:`to_send`) as its ``YourReference``."""
    return document if value is None else document.model_copy(update={"YourReference": value})


def reference_kept(decision: object) -> dict[str, Any]:
    """What an order link keeps of the reference a write wanted (its command's)."""
    return {KEPT_YOUR_REFERENCE: getattr(decision, "your_reference", None)}
