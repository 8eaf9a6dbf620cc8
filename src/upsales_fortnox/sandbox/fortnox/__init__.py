"""An in-memory imitation of Fortnox: REST API v3, OAuth2 and the WebSocket change stream.

Built from ``reference/fortnox.md``; choices where Fortnox's behaviour is *unverified* are kept
in ``facts.py`` (one constant each) and described in the docstrings of the modules that use
them. Typical use::

    sandbox = create_fortnox_sandbox(FortnoxSandboxConfig(clock=ManualClock()))
    tenant_id = sandbox.default_tenant_id
    tokens = sandbox.issue_tokens(tenant_id)
    transport = httpx.ASGITransport(app=sandbox.app)
"""

from upsales_fortnox.sandbox.fortnox.config import FortnoxSandboxConfig, ManualClock, RateLimit
from upsales_fortnox.sandbox.fortnox.counters import CountersSnapshot
from upsales_fortnox.sandbox.fortnox.errors import FortnoxError
from upsales_fortnox.sandbox.fortnox.faults import FaultSettings
from upsales_fortnox.sandbox.fortnox.gate import ConnectionDropped
from upsales_fortnox.sandbox.fortnox.oauth import SCOPES, TokenPair
from upsales_fortnox.sandbox.fortnox.sandbox import FortnoxSandbox, create_fortnox_sandbox
from upsales_fortnox.sandbox.fortnox.server import (
    build_fortnox_sandbox_server,
    fortnox_sandbox_endpoints,
    print_fortnox_sandbox_endpoints,
    serve_fortnox_sandbox,
)

__all__ = [
    "SCOPES",
    "ConnectionDropped",
    "CountersSnapshot",
    "FaultSettings",
    "FortnoxError",
    "FortnoxSandbox",
    "FortnoxSandboxConfig",
    "ManualClock",
    "RateLimit",
    "TokenPair",
    "build_fortnox_sandbox_server",
    "create_fortnox_sandbox",
    "fortnox_sandbox_endpoints",
    "print_fortnox_sandbox_endpoints",
    "serve_fortnox_sandbox",
]
