"""The sandbox object: state, the FastAPI app, and the Python API for tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import FastAPI

from ufs_sandboxes.upsales.app import build_app
from ufs_sandboxes.upsales.config import UpsalesSandboxConfig
from ufs_sandboxes.upsales.counters import RequestCounters
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.entities.registry import CURRENCIES, SEED_ORDER, entity_kind
from ufs_sandboxes.upsales.entities.users import API_USER_EMAIL_DOMAIN, new_user_entity
from ufs_sandboxes.upsales.errors import UpsalesApiError, bad_request
from ufs_sandboxes.upsales.faults import FaultInjector, FaultSettings
from ufs_sandboxes.upsales.hooks import HookDelivery, HookDispatcher, HookTarget
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.operations import delete_entity, insert_entity, update_entity
from ufs_sandboxes.upsales.ratelimit import FixedWindowRateLimiter
from ufs_sandboxes.upsales.state import (
    ApiKeyRecord,
    CustomerState,
    SandboxState,
    new_api_key,
)
from ufs_sandboxes.upsales.values import (
    read_bool,
    read_decimal,
    read_required_str,
    require_object,
)


@dataclass(frozen=True)
class SandboxCustomer:
    """An Upsales customer created in the sandbox, with a ready API key and that key's user."""

    id: int
    name: str
    api_key: str
    user_id: int


@dataclass(frozen=True)
class AuthContext:
    """Who is calling: the customer the API key opens and the user it writes as."""

    customer: CustomerState
    user: JsonObject
    api_key: str


class UpsalesSandbox:
    """An in-memory Upsales REST API v2 for several Upsales customers.

    ``app`` serves the imitated API under ``/api/v2/`` and the admin API under ``/_sandbox/``.
    The methods below are the same admin operations for in-process use.
    """

    def __init__(self, config: UpsalesSandboxConfig | None = None) -> None:
        self.config = config or UpsalesSandboxConfig()
        self.state = SandboxState()
        self.rate_limiter = FixedWindowRateLimiter(
            self.config.rate_limit_requests, self.config.rate_limit_window_seconds
        )
        self.fault_injector = FaultInjector(self.config.fault_seed)
        self.counters = RequestCounters()
        self.hooks = HookDispatcher(self.config.hook_delivery_log_size)
        self.app: FastAPI = build_app(self)

    # -- customers and keys -------------------------------------------------------------
    def create_customer(
        self, name: str = "Sandbox AB", *, master_currency: str = "SEK"
    ) -> SandboxCustomer:
        """A new Upsales customer with an API key (whose user is an ``@api.upsales.com`` user)."""
        customer_id = self.state.next_customer_id
        self.state.next_customer_id += 1
        customer = CustomerState(id=customer_id, name=name, master_currency=master_currency)
        self.state.customers[customer_id] = customer
        api_key = self.create_api_key(customer_id)
        customer.primary_api_key = api_key
        return SandboxCustomer(customer_id, name, api_key, self.state.api_keys[api_key].user_id)

    def create_api_key(self, customer_id: int, *, user_id: int | None = None) -> str:
        """A new key for the customer. Without ``user_id`` a new API user is created for it."""
        customer = self.customer(customer_id)
        if user_id is None:
            user_id = customer.next_id("users")
            user = new_user_entity("API", f"api-{customer_id}-{user_id}@{API_USER_EMAIL_DOMAIN}")
            user["id"] = user_id
            customer.table("users")[user_id] = user
        elif user_id not in customer.table("users"):
            raise KeyError(f"Customer {customer_id} has no user {user_id}")
        api_key = new_api_key()
        self.state.api_keys[api_key] = ApiKeyRecord(api_key, customer_id, user_id)
        return api_key

    def customer(self, customer_id: int) -> CustomerState:
        try:
            return self.state.customers[customer_id]
        except KeyError:
            raise KeyError(f"No sandbox customer {customer_id}") from None

    def customers(self) -> list[SandboxCustomer]:
        result = []
        for customer in self.state.customers.values():
            record = self.state.api_keys[customer.primary_api_key]
            result.append(SandboxCustomer(customer.id, customer.name, record.key, record.user_id))
        return result

    def authenticate(self, api_key: str) -> AuthContext | None:
        record = self.state.api_keys.get(api_key)
        if record is None:
            return None
        customer = self.state.customers[record.customer_id]
        return AuthContext(customer, customer.table("users")[record.user_id], api_key)

    def _acting_user(self, customer: CustomerState, user_id: int | None) -> JsonObject:
        if user_id is None:
            user_id = self.state.api_keys[customer.primary_api_key].user_id
        user = customer.table("users").get(user_id)
        if user is None:
            raise KeyError(f"Customer {customer.id} has no user {user_id}")
        return user

    # -- seeding ------------------------------------------------------------------------
    def seed(self, customer_id: int, kind: str, bodies: Iterable[Mapping[str, Any]]) -> list[Any]:
        """Store many entities of one kind (fast; no hooks, no rate limit) and return their ids.

        ``kind`` is a collection path: ``accounts``, ``orders``, ``customfields/account``, …, or
        ``currencies`` (bodies ``{iso, rate, masterCurrency?, active?}``; returns the isos).
        A bad body raises :class:`UpsalesApiError` naming its index; earlier ones stay stored.
        """
        customer = self.customer(customer_id)
        if kind == CURRENCIES:
            return [self._add_currency(customer, body, index) for index, body in enumerate(bodies)]
        entity_kind_ = entity_kind(kind)
        user = self._acting_user(customer, None)
        now = self.config.clock()
        ids: list[Any] = []
        for index, body in enumerate(bodies):
            try:
                ids.append(insert_entity(customer, entity_kind_, body, user=user, now=now)["id"])
            except UpsalesApiError as exc:
                raise UpsalesApiError(
                    exc.status, f"{kind}[{index}]: {exc.msg}", key=exc.key
                ) from exc
        return ids

    def seed_many(
        self, customer_id: int, data: Mapping[str, Iterable[Mapping[str, Any]]]
    ) -> dict[str, list[Any]]:
        """:meth:`seed` for several kinds at once, applied in dependency order."""
        unknown = set(data) - set(SEED_ORDER)
        if unknown:
            raise ValueError(f"Unknown seed kinds: {', '.join(sorted(unknown))}")
        return {
            kind: self.seed(customer_id, kind, data[kind]) for kind in SEED_ORDER if kind in data
        }

    def _add_currency(self, customer: CustomerState, raw: Mapping[str, Any], index: int) -> str:
        body = require_object(raw, f"currencies[{index}]")
        iso = read_required_str(body.get("iso"), "iso").upper()
        rate = read_decimal(body.get("rate", 1), "rate")
        if rate <= 0:
            raise bad_request(f"currencies[{index}]: rate must be above 0")
        customer.currencies[iso] = {
            "iso": iso,
            "rate": Decimal(1) if iso == customer.master_currency else rate,
            "masterCurrency": iso == customer.master_currency,
            "active": read_bool(body.get("active", True), "active"),
        }
        return iso

    # -- entity access and writes as a user would make them ----------------------------
    def get_entity(self, customer_id: int, kind: str, entity_id: int) -> JsonObject | None:
        return self.customer(customer_id).table(entity_kind(kind).table).get(entity_id)

    def list_entities(self, customer_id: int, kind: str) -> list[JsonObject]:
        return list(self.customer(customer_id).table(entity_kind(kind).table).values())

    def create_entity(
        self,
        customer_id: int,
        kind: str,
        body: Mapping[str, Any],
        *,
        user_id: int | None = None,
        fire_hooks: bool = True,
        use_price_lists: bool = False,
    ) -> JsonObject:
        """Create as ``user_id`` (default: the primary key's API user) would in Upsales
        (``use_price_lists``: as a request with ``usePriceLists=true``)."""
        customer = self.customer(customer_id)
        user = self._acting_user(customer, user_id)
        return self.write_create(
            customer, entity_kind(kind), body, user, fire_hooks, use_price_lists=use_price_lists
        )

    def update_entity(
        self,
        customer_id: int,
        kind: str,
        entity_id: int,
        body: Mapping[str, Any],
        *,
        user_id: int | None = None,
        fire_hooks: bool = True,
        use_price_lists: bool = False,
    ) -> JsonObject:
        customer = self.customer(customer_id)
        user = self._acting_user(customer, user_id)
        return self.write_update(
            customer,
            entity_kind(kind),
            entity_id,
            body,
            user,
            fire_hooks,
            use_price_lists=use_price_lists,
        )

    def delete_entity(
        self,
        customer_id: int,
        kind: str,
        entity_id: int,
        *,
        user_id: int | None = None,
        fire_hooks: bool = True,
    ) -> JsonObject:
        customer = self.customer(customer_id)
        user = self._acting_user(customer, user_id)
        return self.write_delete(customer, entity_kind(kind), entity_id, user, fire_hooks)

    def write_create(
        self,
        customer: CustomerState,
        kind: EntityKind,
        body: Mapping[str, Any],
        user: JsonObject,
        fire_hooks: bool,
        *,
        use_price_lists: bool = False,
    ) -> JsonObject:
        now = self.config.clock()
        entity = insert_entity(
            customer, kind, body, user=user, now=now, use_price_lists=use_price_lists
        )
        if fire_hooks:
            self._emit_hook(customer, kind, "insert", entity, user)
        return entity

    def write_update(
        self,
        customer: CustomerState,
        kind: EntityKind,
        entity_id: int,
        body: Mapping[str, Any],
        user: JsonObject,
        fire_hooks: bool,
        *,
        use_price_lists: bool = False,
    ) -> JsonObject:
        now = self.config.clock()
        entity = update_entity(
            customer, kind, entity_id, body, user=user, now=now, use_price_lists=use_price_lists
        )
        if fire_hooks:
            self._emit_hook(customer, kind, "update", entity, user)
        return entity

    def write_delete(
        self,
        customer: CustomerState,
        kind: EntityKind,
        entity_id: int,
        user: JsonObject,
        fire_hooks: bool,
    ) -> JsonObject:
        entity = delete_entity(customer, kind, entity_id, user=user, now=self.config.clock())
        if fire_hooks:
            self._emit_hook(customer, kind, "delete", entity, user)
        return entity

    def _emit_hook(
        self,
        customer: CustomerState,
        kind: EntityKind,
        action: str,
        entity: JsonObject,
        user: JsonObject,
    ) -> None:
        if kind.hook_entity is None:
            return
        self.hooks.emit(
            event_type=f"after_{kind.hook_entity}_{action}",
            entity=entity,
            acting_user=user,
            customer_id=customer.id,
            api_key=customer.primary_api_key,
        )

    # -- faults, counters, hooks, reset -------------------------------------------------
    def set_faults(
        self,
        *,
        error_rate: float | None = None,
        latency_ms: int | None = None,
        fail_next: int | None = None,
        drop_next: int | None = None,
        seed: int | None = None,
    ) -> FaultSettings:
        """Change some fault knobs (others keep their value); returns the settings now in force."""
        return self.fault_injector.configure(
            error_rate=error_rate,
            latency_ms=latency_ms,
            fail_next=fail_next,
            drop_next=drop_next,
            seed=seed,
        )

    @property
    def faults(self) -> FaultSettings:
        return self.fault_injector.settings

    def request_counters(self) -> dict[str, Any]:
        return self.counters.snapshot()

    def reset_counters(self) -> None:
        self.counters = RequestCounters()

    def register_hook_sink(
        self, target: HookTarget, *, events: Iterable[str] | None = None
    ) -> None:
        """Send app hooks to ``target`` (async callable or URL); default: the Fortnox events."""
        self.hooks.register(target, events)

    def clear_hook_sink(self) -> None:
        self.hooks.clear()

    async def flush_hooks(self) -> None:
        """Wait until every queued hook call has been delivered."""
        await self.hooks.flush()

    def hook_deliveries(self) -> list[HookDelivery]:
        return list(self.hooks.deliveries)

    def reset(self) -> None:
        """Forget every customer, key, counter, rate-limit window, fault and hook sink."""
        self.state = SandboxState()
        self.rate_limiter.reset()
        self.fault_injector.reset()
        self.counters = RequestCounters()
        self.hooks.reset()


def create_upsales_sandbox(config: UpsalesSandboxConfig | None = None) -> UpsalesSandbox:
    return UpsalesSandbox(config)
