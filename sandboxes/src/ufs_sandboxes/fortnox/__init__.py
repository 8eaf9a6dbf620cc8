"""An in-memory imitation of Fortnox: REST API v3, OAuth2 and the WebSocket change stream.

Built from ``reference/fortnox.md``. Where Fortnox's behaviour is *unverified* the choice is one
constant in ``facts.py``, explained in the docstring of the module that applies it:

- ``wire``: every field in the JSON type of Fortnox's OpenAPI spec (numbers as text where it
  types strings), ``""`` or nothing where there is no value, never ``null``.
- ``fields``: read-only fields sent by a client are ignored where the operation's request schema
  has them and refused (2001399) where it does not, like any field outside it.
- ``listing``: paging, ``lastmodified``, ``filter``, one field search, lower-case parameters;
  parameters and enum values an operation does not declare are refused (2000588).
- ``totals``: row and document totals, VAT, öresutjämning (``RoundOff``).
- ``resources.documents`` / ``resources.document_actions``: document rules, backorders, credit.
- ``gate``: 403 for unknown and expired tokens, scopes, the 25-per-5-s window, faults.
- ``stream``: the WebSocket command protocol and replay from an offset.

Typical in-process use::

    sandbox = create_fortnox_sandbox(FortnoxSandboxConfig(clock=ManualClock()))
    tenant_id = sandbox.default_tenant_id
    tokens = sandbox.issue_tokens(tenant_id)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app),
        base_url="http://fortnox.test",
        headers={"Authorization": f"Bearer {tokens.access_token}"},
    )
"""

from ufs_sandboxes.fortnox.config import FortnoxSandboxConfig, ManualClock, RateLimit
from ufs_sandboxes.fortnox.counters import CountersSnapshot
from ufs_sandboxes.fortnox.errors import FortnoxError
from ufs_sandboxes.fortnox.faults import FaultSettings
from ufs_sandboxes.fortnox.gate import ConnectionDropped
from ufs_sandboxes.fortnox.oauth import SCOPES, TokenPair
from ufs_sandboxes.fortnox.sandbox import FortnoxSandbox, create_fortnox_sandbox
from ufs_sandboxes.fortnox.server import (
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
