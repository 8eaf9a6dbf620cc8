"""The sandbox object: all state (tenants, tokens, change log, knobs) and its Python API.

Everything the admin HTTP API (``/_sandbox/``) offers is also a method here, so in-process
tests need no HTTP for setup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from ufs_sandboxes.fortnox.config import FortnoxSandboxConfig
from ufs_sandboxes.fortnox.counters import CountersSnapshot, RequestCounters
from ufs_sandboxes.fortnox.events import KNOWN_TOPICS, EventLog, decode_offset
from ufs_sandboxes.fortnox.faults import FaultInjector, FaultSettings
from ufs_sandboxes.fortnox.fields import Entity
from ufs_sandboxes.fortnox.oauth import SCOPES, OAuthState, TokenPair
from ufs_sandboxes.fortnox.ratelimit import SlidingWindowLimiter
from ufs_sandboxes.fortnox.resources import views
from ufs_sandboxes.fortnox.resources.articles import create_article
from ufs_sandboxes.fortnox.resources.customers import create_customer
from ufs_sandboxes.fortnox.resources.document_kinds import (
    INVOICES,
    OFFERS,
    ORDERS,
    DocumentKind,
)
from ufs_sandboxes.fortnox.resources.documents import create_document
from ufs_sandboxes.fortnox.resources.pricelists import create_pricelist
from ufs_sandboxes.fortnox.resources.prices import create_price
from ufs_sandboxes.fortnox.tenant import Tenant

if TYPE_CHECKING:
    from fastapi import FastAPI

FIRST_TENANT_ID = 100001
SEED_ORDER = ("pricelists", "articles", "prices", "customers", "offers", "orders", "invoices")
_DOCUMENT_KINDS: dict[str, DocumentKind] = {
    "orders": ORDERS,
    "invoices": INVOICES,
    "offers": OFFERS,
}


class FortnoxSandbox:
    """An in-memory Fortnox: REST v3, OAuth2 and the WebSocket change stream (see ``.app``)."""

    def __init__(self, config: FortnoxSandboxConfig | None = None) -> None:
        from ufs_sandboxes.fortnox.app import build_app

        self.config = config or FortnoxSandboxConfig()
        self.clock = self.config.clock
        self.event_log = EventLog(self.clock)
        self.oauth = OAuthState(self.config, self.clock)
        self.rate_limiter = SlidingWindowLimiter(self.config.rate_limit)
        self.faults = FaultInjector()
        self.counters = RequestCounters()
        self.tenants: dict[int, Tenant] = {}
        self._next_tenant_id = FIRST_TENANT_ID
        self._consent_tenant_id: int | None = None
        self._deny_next_consent = False
        self._start_fresh()
        self.app: FastAPI = build_app(self)

    # --- tenants -------------------------------------------------------------------------

    def create_tenant(
        self,
        company_name: str | None = None,
        *,
        organisation_number: str | None = None,
        round_off: bool | None = None,
    ) -> int:
        """Create an empty company (with price list "A"); returns its tenant id."""
        tenant_id = self._next_tenant_id
        self._next_tenant_id += 1
        self.tenants[tenant_id] = Tenant(
            tenant_id,
            company_name=company_name or f"{self.config.default_company_name} {tenant_id}",
            organisation_number=organisation_number or f"556{tenant_id:07d}"[:10],
            round_off=self.config.round_off if round_off is None else round_off,
            clock=self.clock,
            events=self.event_log,
        )
        return tenant_id

    def tenant(self, tenant_id: int) -> Tenant:
        try:
            return self.tenants[tenant_id]
        except KeyError:
            raise LookupError(f"no tenant {tenant_id}") from None

    @property
    def default_tenant_id(self) -> int | None:
        """The first tenant, if any."""
        return next(iter(self.tenants), None)

    def set_round_off(self, tenant_id: int, enabled: bool) -> None:
        """Turn öresutjämning on or off for one tenant (applies to documents saved later)."""
        self.tenant(tenant_id).round_off = enabled

    def set_warehouse(self, tenant_id: int, enabled: bool) -> None:
        """Activate (with empty stock points) or remove Fortnox Lager for one tenant."""
        tenant = self.tenant(tenant_id)
        if not enabled:
            tenant.warehouse = None
        elif tenant.warehouse is None:
            tenant.warehouse = {}

    def set_stock(
        self,
        tenant_id: int,
        article_number: str,
        stock_point: str,
        in_stock: Decimal,
        available: Decimal,
    ) -> None:
        """A stock point's balance of an article in Fortnox Lager (activated first)."""
        tenant = self.tenant(tenant_id)
        if tenant.warehouse is None:
            raise LookupError(f"tenant {tenant_id} has no warehouse module")
        tenant.warehouse.setdefault(article_number, {})[stock_point] = (in_stock, available)

    def seed(
        self,
        tenant_id: int,
        *,
        customers: Iterable[Entity] = (),
        articles: Iterable[Entity] = (),
        pricelists: Iterable[Entity] = (),
        prices: Iterable[Entity] = (),
        orders: Iterable[Entity] = (),
        invoices: Iterable[Entity] = (),
        offers: Iterable[Entity] = (),
    ) -> dict[str, int]:
        """Create entities in bulk, with the same rules and change events as the REST API.

        Entities use Fortnox field names (unwrapped). Documents may also set the read-only
        state flags listed in ``DocumentKind.seedable_read_only`` (e.g. ``Cancelled``,
        ``Booked``). Raises ``FortnoxError`` on the first invalid entity (the ones before it
        stay created). Returns the number created per collection.
        """
        batches: dict[str, Iterable[Entity]] = {
            "pricelists": pricelists,
            "articles": articles,
            "prices": prices,
            "customers": customers,
            "offers": offers,
            "orders": orders,
            "invoices": invoices,
        }
        tenant = self.tenant(tenant_id)
        created: dict[str, int] = {}
        for name in SEED_ORDER:
            count = 0
            for entity in batches[name]:
                _seed_one(tenant, name, entity)
                count += 1
            created[name] = count
        return created

    # --- tokens and consent --------------------------------------------------------------

    def issue_tokens(self, tenant_id: int, scopes: Iterable[str] | None = None) -> TokenPair:
        """A token pair for a tenant without the OAuth dance (all scopes by default)."""
        self.tenant(tenant_id)
        granted = frozenset(SCOPES if scopes is None else scopes)
        unknown = granted - SCOPES
        if unknown:
            raise ValueError(f"unknown scopes: {sorted(unknown)}")
        return self.oauth.issue_tokens(tenant_id, granted)

    def set_next_consent(self, decision: Literal["allow", "deny"]) -> None:
        """Whether the next ``/oauth-v1/auth`` consents or is denied (one-shot)."""
        self._deny_next_consent = decision == "deny"

    def set_consent_tenant(self, tenant_id: int | None) -> None:
        """Which tenant consents when the auth request names none (None: the first)."""
        if tenant_id is not None:
            self.tenant(tenant_id)
        self._consent_tenant_id = tenant_id

    def take_consent_decision(self) -> bool:
        """True to consent; consumes a pending "deny"."""
        denied = self._deny_next_consent
        self._deny_next_consent = False
        return not denied

    def consenting_tenant_id(self) -> int:
        """The admin-chosen tenant, else the first; creates one when there is none."""
        if self._consent_tenant_id in self.tenants:
            return self._consent_tenant_id
        return self.default_tenant_id or self.create_tenant()

    # --- knobs and counters --------------------------------------------------------------

    def set_faults(self, settings: FaultSettings | None = None, **changes: Any) -> FaultSettings:
        """Replace the fault settings (``set_faults(fail_next=2)``); no arguments clears them."""
        base = settings or FaultSettings()
        self.faults.configure(FaultSettings(**{**base.as_dict(), **changes}))
        return self.faults.settings

    @property
    def fault_settings(self) -> FaultSettings:
        return self.faults.settings

    def request_counters(self) -> CountersSnapshot:
        return self.counters.snapshot()

    def reset_counters(self) -> None:
        self.counters.reset()

    def reset(self) -> None:
        """Back to the state right after creation: no data, tokens, events, faults or counts."""
        self._start_fresh()

    # --- reading state -------------------------------------------------------------------

    def events(
        self, tenant_id: int, topic: str, after_offset: str | None = None
    ) -> list[dict[str, Any]]:
        """A tenant's change events on one topic, as WebSocket messages, oldest first."""
        if topic not in KNOWN_TOPICS:
            raise ValueError(f"unknown topic {topic!r}")
        after = 0
        if after_offset is not None:
            decoded = decode_offset(after_offset)
            if decoded is None:
                raise ValueError(f"invalid offset {after_offset!r}")
            after = decoded
        return [event.as_message() for event in self.event_log.after(tenant_id, topic, after)]

    def entity(self, tenant_id: int, collection: str, key: str | int) -> Entity | None:
        """One entity as GET would show it (inner object with ``@url``), or None."""
        tenant = self.tenant(tenant_id)
        entity = tenant.collection(collection).get(str(key))
        if entity is None:
            return None
        return views.render(tenant, collection, entity, self.config.public_base_url)

    # --- internals -----------------------------------------------------------------------

    def _start_fresh(self) -> None:
        self.tenants.clear()
        self._next_tenant_id = FIRST_TENANT_ID
        self._consent_tenant_id = None
        self._deny_next_consent = False
        self.event_log.clear()
        self.oauth.clear()
        self.rate_limiter.clear()
        self.faults.clear()
        self.counters.reset()
        if self.config.create_default_tenant:
            self.create_tenant()


def _seed_one(tenant: Tenant, name: str, entity: Mapping[str, Any]) -> None:
    payload = dict(entity)
    if name == "customers":
        create_customer(tenant, payload)
    elif name == "articles":
        create_article(tenant, payload)
    elif name == "pricelists":
        create_pricelist(tenant, payload)
    elif name == "prices":
        create_price(tenant, payload)
    else:
        kind = _DOCUMENT_KINDS[name]
        state = {key: payload.pop(key) for key in kind.seedable_read_only if key in payload}
        create_document(tenant, kind, payload, read_only_values=state)


def create_fortnox_sandbox(config: FortnoxSandboxConfig | None = None) -> FortnoxSandbox:
    """A fresh sandbox; serve ``sandbox.app`` or use it in-process with ``httpx.ASGITransport``."""
    return FortnoxSandbox(config)
