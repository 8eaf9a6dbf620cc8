"""Settings of one Fortnox sandbox, and a manual clock for tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]
"""Returns the current time as epoch seconds."""

Sleep = Callable[[float], Awaitable[None]]
"""Waits the given number of seconds (the ``latency_ms`` and ``answer_delay_ms`` faults)."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A sliding window: at most ``requests`` per ``window_seconds`` per access token."""

    requests: int = 25
    window_seconds: float = 5.0


@dataclass(frozen=True)
class FortnoxSandboxConfig:
    """How the sandbox behaves. Every field has a default fit for local use."""

    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    access_token_lifetime: float = 3600.0
    refresh_token_lifetime: float = 45 * 24 * 3600.0
    auth_code_lifetime: float = 600.0
    rate_limit: RateLimit = field(default_factory=RateLimit)
    send_retry_after: bool = False
    """Add a ``Retry-After`` header to 429 answers. Off by default: Fortnox sending one is
    *unverified*."""
    clock: Clock = time.time
    sleep: Sleep = asyncio.sleep
    round_off: bool = False
    """Default "öresutjämning" (round the document total to whole krona) for new tenants."""
    create_default_tenant: bool = True
    """Create one tenant at start (and again after a reset), so the OAuth flow works at once."""
    default_company_name: str = "Sandbox AB"
    redirect_uris: tuple[str, ...] = ()
    """Registered redirect URIs. Empty: any redirect URI is accepted."""
    public_base_url: str = "http://fortnox-sandbox"
    """Base of ``@url`` values in entities read through the Python API (HTTP answers use the
    request's own base URL)."""


class ManualClock:
    """A clock that only moves when told to; pass it as ``FortnoxSandboxConfig.clock``."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
