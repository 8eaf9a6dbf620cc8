"""The Upsales entity an outbound job names."""

from __future__ import annotations

from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.jobs import JobContext


def upsales_id(ctx: JobContext) -> int:
    """The Upsales id the job names (its ``entity_id``)."""
    if (number := parse_digits(ctx.entity_id or "")) is None:
        raise PermanentError(f"job {ctx.kind} needs an Upsales id, not {ctx.entity_id!r}")
    return number
