"""The handler registry maps a job kind to exactly one handler."""

from __future__ import annotations

import pytest

from tests.jobs.support import Result
from upsales_fortnox.jobs import HandlerRegistry, JobContext


async def _noop(ctx: JobContext) -> None:
    return None


def test_register_and_look_up() -> None:
    registry = HandlerRegistry({"upsales.order": _noop})

    @registry.handles("fortnox.customer")
    async def customer(ctx: JobContext) -> Result | None:
        return Result({"customer": ctx.entity_id})

    assert registry.get("upsales.order") is _noop
    assert registry.get("fortnox.customer") is customer
    assert registry.get("nothing") is None
    assert "fortnox.customer" in registry
    assert list(registry) == ["fortnox.customer", "upsales.order"]
    assert len(registry) == 2


def test_a_kind_cannot_be_registered_twice() -> None:
    registry = HandlerRegistry({"upsales.order": _noop})
    with pytest.raises(ValueError, match=r"upsales\.order"):
        registry.register("upsales.order", _noop)
