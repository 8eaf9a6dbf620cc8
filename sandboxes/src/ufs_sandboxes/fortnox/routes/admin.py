"""The sandbox's own admin API under ``/_sandbox/`` (not Fortnox; no Fortnox auth).

Errors here are ``{"error": <code>, "message": <text>}``; an invalid seed entity answers with
the Fortnox ``ErrorInformation`` the REST API would give for it.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response

from ufs_sandboxes.fortnox.events import KNOWN_TOPICS
from ufs_sandboxes.fortnox.faults import FaultSettings
from ufs_sandboxes.fortnox.jsonio import parse_json
from ufs_sandboxes.fortnox.routes.common import json_response
from ufs_sandboxes.fortnox.sandbox import SEED_ORDER
from ufs_sandboxes.fortnox.tenant import Tenant

if TYPE_CHECKING:
    from ufs_sandboxes.fortnox.sandbox import FortnoxSandbox

TAGS: list[str | Enum] = ["Sandbox admin"]
_FAULT_FIELDS = ("error_rate", "latency_ms", "answer_delay_ms", "fail_next", "drop_next", "seed")


class AdminError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def admin_error_response(error: AdminError) -> Response:
    return json_response({"error": error.code, "message": error.message}, status_code=error.status)


def add_admin_routes(router: APIRouter, sandbox: FortnoxSandbox) -> None:

    def tenant(tenant_id: str) -> Tenant:
        if tenant_id.isdigit() and int(tenant_id) in sandbox.tenants:
            return sandbox.tenants[int(tenant_id)]
        raise AdminError(404, "unknown_tenant", f"No tenant {tenant_id}")

    @router.get("/_sandbox", tags=TAGS)
    async def overview() -> Response:
        return json_response(
            {
                "client_id": sandbox.config.client_id,
                "tenants": [_tenant_summary(t) for t in sandbox.tenants.values()],
                "faults": sandbox.fault_settings.as_dict(),
                "counters": sandbox.request_counters().as_dict(),
            }
        )

    @router.post("/_sandbox/tenants", tags=TAGS)
    async def create_tenant(request: Request) -> Response:
        body = await _body(request)
        round_off = body.get("round_off")
        if round_off is not None and not isinstance(round_off, bool):
            raise AdminError(400, "invalid_input", "round_off must be a boolean")
        tenant_id = sandbox.create_tenant(
            _optional_text(body, "company_name"),
            organisation_number=_optional_text(body, "organisation_number"),
            round_off=round_off,
        )
        return json_response(_tenant_summary(sandbox.tenants[tenant_id]), status_code=201)

    @router.get("/_sandbox/tenants", tags=TAGS)
    async def list_tenants() -> Response:
        return json_response({"tenants": [_tenant_summary(t) for t in sandbox.tenants.values()]})

    @router.put("/_sandbox/tenants/{tenant_id}/settings", tags=TAGS)
    async def tenant_settings(tenant_id: str, request: Request) -> Response:
        found = tenant(tenant_id)
        round_off = (await _body(request)).get("round_off")
        if not isinstance(round_off, bool):
            raise AdminError(400, "invalid_input", "round_off must be a boolean")
        sandbox.set_round_off(found.tenant_id, round_off)
        return json_response(_tenant_summary(found))

    @router.post("/_sandbox/tenants/{tenant_id}/seed", tags=TAGS)
    async def seed(tenant_id: str, request: Request) -> Response:
        found = tenant(tenant_id)
        body = await _body(request)
        unknown = set(body) - set(SEED_ORDER)
        if unknown:
            raise AdminError(400, "invalid_input", f"Unknown collections: {sorted(unknown)}")
        batches: dict[str, list[dict[str, Any]]] = {}
        for name, entities in body.items():
            if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
                raise AdminError(400, "invalid_input", f"{name} must be a list of objects")
            batches[name] = entities
        created = sandbox.seed(found.tenant_id, **batches)
        return json_response({"created": created}, status_code=201)

    @router.post("/_sandbox/tenants/{tenant_id}/tokens", tags=TAGS)
    async def issue_tokens(tenant_id: str, request: Request) -> Response:
        found = tenant(tenant_id)
        scopes = (await _body(request)).get("scopes")
        if scopes is not None and not (
            isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)
        ):
            raise AdminError(400, "invalid_input", "scopes must be a list of strings")
        try:
            pair = sandbox.issue_tokens(found.tenant_id, scopes)
        except ValueError as error:
            raise AdminError(400, "invalid_input", str(error)) from None
        return json_response(pair.as_response(), status_code=201)

    @router.get("/_sandbox/tenants/{tenant_id}/events/{topic}", tags=TAGS)
    async def events(tenant_id: str, topic: str, after: str | None = None) -> Response:
        found = tenant(tenant_id)
        if topic not in KNOWN_TOPICS:
            raise AdminError(404, "unknown_topic", f"No topic {topic}")
        try:
            messages = sandbox.events(found.tenant_id, topic, after)
        except ValueError as error:
            raise AdminError(400, "invalid_input", str(error)) from None
        return json_response({"events": messages})

    @router.get("/_sandbox/faults", tags=TAGS)
    async def get_faults() -> Response:
        return json_response(sandbox.fault_settings.as_dict())

    @router.put("/_sandbox/faults", tags=TAGS)
    async def set_faults(request: Request) -> Response:
        body = await _body(request)
        unknown = set(body) - set(_FAULT_FIELDS)
        if unknown:
            raise AdminError(400, "invalid_input", f"Unknown fault settings: {sorted(unknown)}")
        try:
            settings = FaultSettings(
                error_rate=float(body.get("error_rate", 0.0)),
                latency_ms=float(body.get("latency_ms", 0.0)),
                answer_delay_ms=float(body.get("answer_delay_ms", 0.0)),
                fail_next=int(body.get("fail_next", 0)),
                drop_next=int(body.get("drop_next", 0)),
                seed=None if body.get("seed") is None else int(body["seed"]),
            )
            sandbox.set_faults(settings)
        except (TypeError, ValueError) as error:
            raise AdminError(400, "invalid_input", str(error)) from None
        return json_response(sandbox.fault_settings.as_dict())

    @router.delete("/_sandbox/faults", tags=TAGS)
    async def clear_faults() -> Response:
        sandbox.set_faults()
        return Response(status_code=204)

    @router.put("/_sandbox/consent", tags=TAGS)
    async def consent(request: Request) -> Response:
        body = await _body(request)
        decision = body.get("next", "allow")
        if decision not in ("allow", "deny"):
            raise AdminError(400, "invalid_input", 'next must be "allow" or "deny"')
        if "tenant_id" in body:
            chosen = body["tenant_id"]
            if chosen is not None:
                chosen = tenant(str(chosen)).tenant_id
            sandbox.set_consent_tenant(chosen)
        sandbox.set_next_consent(decision)
        return json_response({"next": decision, "tenant_id": sandbox.consenting_tenant_id()})

    @router.get("/_sandbox/counters", tags=TAGS)
    async def counters() -> Response:
        return json_response(sandbox.request_counters().as_dict())

    @router.delete("/_sandbox/counters", tags=TAGS)
    async def reset_counters() -> Response:
        sandbox.reset_counters()
        return Response(status_code=204)

    @router.post("/_sandbox/reset", tags=TAGS)
    async def reset() -> Response:
        sandbox.reset()
        return Response(status_code=204)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise AdminError(400, "invalid_input", "The body must be a JSON object")
    return body


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise AdminError(400, "invalid_input", f"{name} must be a string")
    return value


def _tenant_summary(tenant: Tenant) -> dict[str, Any]:
    return {
        "tenant_id": tenant.tenant_id,
        "company_name": tenant.company_name,
        "organisation_number": tenant.organisation_number,
        "round_off": tenant.round_off,
        "counts": {
            "customers": len(tenant.customers),
            "articles": len(tenant.articles),
            "pricelists": len(tenant.pricelists),
            "prices": sum(len(t) for table in tenant.prices.values() for t in table.values()),
            "orders": len(tenant.orders),
            "invoices": len(tenant.invoices),
            "offers": len(tenant.offers),
        },
    }
