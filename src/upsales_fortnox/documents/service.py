"""Making a document's link, and serving the PDF behind one.

Serving answers :class:`DocumentUnavailable` (one 404, the same for every reason) unless the
installation exists with the setting ``documentLinks`` on, the signature is genuine for its
current key, and the document is linked to one of its Upsales orders (:func:`servable_document`,
no Fortnox call). Only then is Fortnox asked for the PDF (``GET /3/{collection}/{n}/preview``,
one call through the tenant's rate budget); the PDF is passed on and never stored. The sales
rep waits on the page, so Fortnox is asked once
(:data:`~upsales_fortnox.integrations.fortnox.request_rules.ONE_TRY`): a failure is said at
once, not after a sync job's backoff.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.documents.repository import current_key, linked_to_an_order, stored_key
from upsales_fortnox.documents.signing import LINKABLE, DocumentLinkSigner
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.installations.api_clients import InstallationNotReady, fortnox_client_for
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.integrations.fortnox import request_rules
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import load_installation
from upsales_fortnox.vocabulary import FortnoxType, InstallationStatus

COLLECTIONS: Final = {
    FortnoxType.INVOICE: "invoices",
    FortnoxType.ORDER: "orders",
    FortnoxType.OFFER: "offers",
}


class DocumentUnavailable(LookupError):
    """No document here for this link (deliberately says no more)."""


@dataclass(frozen=True)
class LinkSigning:
    """What making a link needs of the configuration."""

    secret_key: str
    public_base_url: str

    @classmethod
    def of(cls, settings: Settings) -> LinkSigning:
        return cls(settings.secret_key.get_secret_value(), settings.public_base_url)

    def signer(self, salt: str, key_version: int) -> DocumentLinkSigner:
        return DocumentLinkSigner(self.secret_key, salt, key_version)


def _signer(services: Services, salt: str, key_version: int) -> DocumentLinkSigner:
    return LinkSigning.of(services.settings).signer(salt, key_version)


async def document_url(
    session_factory: DbSessionFactory,
    signing: LinkSigning,
    installation_id: uuid.UUID,
    kind: FortnoxType,
    number: str,
) -> str:
    """The link to the document's PDF, signed with the installation's current key."""
    key = await current_key(session_factory, installation_id)
    signer = signing.signer(key.salt, key.key_version)
    return signer.url(signing.public_base_url, installation_id, kind, number)


def linkable_kind(value: str) -> FortnoxType | None:
    for kind in LINKABLE:
        if kind.value == value:
            return kind
    return None


@dataclass(frozen=True)
class ServableDocument:
    """A document a link may serve: the link is genuine, current and linked to an order."""

    installation: Installation
    kind: FortnoxType
    number: int


async def servable_document(
    services: Services, installation_id: uuid.UUID, kind_name: str, number: str, signature: str
) -> ServableDocument:
    """The document a link points at, checked without asking Fortnox;
    :class:`DocumentUnavailable` otherwise."""
    kind = linkable_kind(kind_name)
    if kind is None or not number.isascii() or not number.isdigit() or len(number) > 18:
        raise DocumentUnavailable()
    async with services.session_factory() as session:
        key = await stored_key(session, installation_id)
        if key is None:
            raise DocumentUnavailable()
        signer = _signer(services, key.salt, key.key_version)
        if not signer.is_genuine(installation_id, kind, number, signature):
            raise DocumentUnavailable()
        linked = await linked_to_an_order(session, installation_id, kind, number)
    if not linked:
        raise DocumentUnavailable()
    try:
        installation = await load_installation(services, installation_id)
    except InstallationNotReady:
        raise DocumentUnavailable() from None
    if not SyncSettings.of(installation.settings).document_links:
        raise DocumentUnavailable()
    return ServableDocument(installation, kind, int(number))


async def check_login(services: Services, document: ServableDocument) -> None:
    """Whether the Fortnox login :func:`document_pdf` would use looks usable, known without
    asking Fortnox: :class:`ReauthorizationRequired` when it is known refused
    (``needs_relogin``) or none is stored, ``DecryptionError`` when it cannot be read."""
    if document.installation.status == InstallationStatus.NEEDS_RELOGIN:
        raise ReauthorizationRequired("the installation's Fortnox login was refused")
    await services.token_store.check_stored(document.installation.id)


async def document_pdf(services: Services, document: ServableDocument) -> bytes:
    """The document's PDF, read from Fortnox now; :class:`DocumentUnavailable` when Fortnox
    has no such document."""
    try:
        fortnox = fortnox_client_for(services, document.installation, retry=request_rules.ONE_TRY)
        return await fortnox.document_preview(COLLECTIONS[document.kind], document.number)
    except (FortnoxNotFound, InstallationNotReady):
        raise DocumentUnavailable() from None
