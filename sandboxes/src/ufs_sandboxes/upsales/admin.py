"""The sandbox's own admin API under ``/_sandbox/`` (no Upsales auth), for demos and tests
driving a served sandbox. Each route calls the same-named :class:`UpsalesSandbox` method."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ufs_sandboxes.upsales.jsonio import JsonObject, UpsalesJSONResponse, decode_json
from ufs_sandboxes.upsales.values import require_list, require_object

if TYPE_CHECKING:
    from ufs_sandboxes.upsales.sandbox import SandboxCustomer, UpsalesSandbox

FAULT_FIELDS = ("error_rate", "latency_ms", "fail_next", "drop_next", "seed")


async def _body(request: Request) -> JsonObject:
    raw = await request.body()
    return {} if not raw.strip() else require_object(decode_json(raw), "The request body")


def _customer_json(customer: SandboxCustomer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "name": customer.name,
        "apiKey": customer.api_key,
        "userId": customer.user_id,
    }


def build_admin_router(sandbox: UpsalesSandbox) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["sandbox admin"])

    def existing_customer(customer_id: int) -> int:
        if customer_id not in sandbox.state.customers:
            raise HTTPException(404, f"No sandbox customer {customer_id}")
        return customer_id

    @router.get("/customers")
    async def list_customers() -> Response:
        return UpsalesJSONResponse([_customer_json(c) for c in sandbox.customers()])

    @router.post("/customers", status_code=201)
    async def create_customer(request: Request) -> Response:
        body = await _body(request)
        customer = sandbox.create_customer(
            str(body.get("name") or "Sandbox AB"),
            master_currency=str(body.get("masterCurrency") or "SEK"),
        )
        return UpsalesJSONResponse(_customer_json(customer), status_code=201)

    @router.post("/customers/{customer_id}/api-keys", status_code=201)
    async def create_api_key(customer_id: int, request: Request) -> Response:
        body = await _body(request)
        user_id = body.get("userId")
        try:
            api_key = sandbox.create_api_key(
                existing_customer(customer_id), user_id=None if user_id is None else int(user_id)
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise HTTPException(400, str(exc)) from exc
        record = sandbox.state.api_keys[api_key]
        return UpsalesJSONResponse({"apiKey": api_key, "userId": record.user_id}, status_code=201)

    @router.post("/customers/{customer_id}/seed")
    async def seed(customer_id: int, request: Request) -> Response:
        """Body ``{"accounts": [...], "orders": [...], "customfields/account": [...], ...}``;
        answers the new ids per kind."""
        body = await _body(request)
        data = {kind: require_list(items, kind) for kind, items in body.items()}
        try:
            ids = sandbox.seed_many(existing_customer(customer_id), data)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        return UpsalesJSONResponse(ids)

    @router.get("/faults")
    async def get_faults() -> Response:
        return UpsalesJSONResponse(sandbox.faults.as_dict())

    @router.put("/faults")
    async def set_faults(request: Request) -> Response:
        """Body with any of ``error_rate, latency_ms, fail_next, drop_next, seed``."""
        body = await _body(request)
        unknown = set(body) - set(FAULT_FIELDS)
        if unknown:
            raise HTTPException(400, f"Unknown fault knobs: {', '.join(sorted(unknown))}")
        try:
            settings = sandbox.set_faults(
                error_rate=None if body.get("error_rate") is None else float(body["error_rate"]),
                latency_ms=None if body.get("latency_ms") is None else int(body["latency_ms"]),
                fail_next=None if body.get("fail_next") is None else int(body["fail_next"]),
                drop_next=None if body.get("drop_next") is None else int(body["drop_next"]),
                seed=None if body.get("seed") is None else int(body["seed"]),
            )
        except (ValueError, TypeError) as exc:
            raise HTTPException(400, str(exc)) from exc
        return UpsalesJSONResponse(settings.as_dict())

    @router.get("/counters")
    async def counters() -> Response:
        return UpsalesJSONResponse(sandbox.request_counters())

    @router.delete("/counters")
    async def reset_counters() -> Response:
        sandbox.reset_counters()
        return UpsalesJSONResponse(sandbox.request_counters())

    @router.post("/reset")
    async def reset() -> Response:
        sandbox.reset()
        return UpsalesJSONResponse({"reset": True})

    @router.get("/hooks/sink")
    async def hook_sink() -> Response:
        target = sandbox.hooks.target
        url = target if isinstance(target, str) else None
        registered = target is not None
        return UpsalesJSONResponse(
            {"registered": registered, "url": url, "events": sorted(sandbox.hooks.events)}
        )

    @router.put("/hooks/sink")
    async def register_hook_sink(request: Request) -> Response:
        """Body ``{"url": "http://…", "events": ["after_order_insert", …]}`` (events optional)."""
        body = await _body(request)
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise HTTPException(400, "url must be an http(s) URL")
        events = body.get("events")
        try:
            sandbox.register_hook_sink(
                url, events=None if events is None else require_list(events, "events")
            )
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        return UpsalesJSONResponse(
            {"registered": True, "url": url, "events": sorted(sandbox.hooks.events)}
        )

    @router.delete("/hooks/sink")
    async def clear_hook_sink() -> Response:
        sandbox.clear_hook_sink()
        return UpsalesJSONResponse({"registered": False})

    @router.get("/hooks/deliveries")
    async def hook_deliveries() -> Response:
        return UpsalesJSONResponse([d.as_dict() for d in sandbox.hook_deliveries()])

    @router.post("/hooks/flush")
    async def flush_hooks() -> Response:
        await sandbox.flush_hooks()
        return UpsalesJSONResponse({"delivered": len(sandbox.hook_deliveries())})

    return router
