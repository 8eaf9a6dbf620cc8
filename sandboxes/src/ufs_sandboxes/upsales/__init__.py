"""An in-memory imitation of the Upsales REST API v2 for several Upsales customers.

Used in process (``httpx.ASGITransport(app=sandbox.app)``), served with uvicorn for demos, and
seeded in bulk for benchmarks. Behaviour follows ``shared/reference/upsales.md``; where the
reference marks a fact *unverified*, the sandbox's choice sits in one constant or function
with a docstring saying so.
"""

from ufs_sandboxes.upsales.config import UpsalesSandboxConfig
from ufs_sandboxes.upsales.demo import (
    FORTNOX_CUSTOMER_NUMBER_ALIAS,
    FORTNOX_DOCUMENT_ALIAS,
    DemoUpsalesSeed,
    seed_demo_upsales,
)
from ufs_sandboxes.upsales.errors import UpsalesApiError
from ufs_sandboxes.upsales.faults import FaultSettings
from ufs_sandboxes.upsales.gateway import UpsalesSandboxConnectionDropped
from ufs_sandboxes.upsales.hooks import (
    APP_HOOK_EVENTS,
    FORTNOX_APP_HOOK_EVENTS,
    HookCall,
    HookDelivery,
    build_app_hook_body,
)
from ufs_sandboxes.upsales.jsonio import decode_json, encode_json
from ufs_sandboxes.upsales.sandbox import (
    SandboxCustomer,
    UpsalesSandbox,
    create_upsales_sandbox,
)
from ufs_sandboxes.upsales.server import (
    print_upsales_sandbox_banner,
    serve_upsales_sandbox,
    upsales_sandbox_base_url,
)

__all__ = [
    "APP_HOOK_EVENTS",
    "FORTNOX_APP_HOOK_EVENTS",
    "FORTNOX_CUSTOMER_NUMBER_ALIAS",
    "FORTNOX_DOCUMENT_ALIAS",
    "DemoUpsalesSeed",
    "FaultSettings",
    "HookCall",
    "HookDelivery",
    "SandboxCustomer",
    "UpsalesApiError",
    "UpsalesSandbox",
    "UpsalesSandboxConfig",
    "UpsalesSandboxConnectionDropped",
    "build_app_hook_body",
    "create_upsales_sandbox",
    "decode_json",
    "encode_json",
    "print_upsales_sandbox_banner",
    "seed_demo_upsales",
    "serve_upsales_sandbox",
    "upsales_sandbox_base_url",
]
