"""The installation context is read once, kept by the process across the worker's turns, and
read again when the installation or its settings change."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.jobs.support import FakeClock, add_job, make_worker
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.models.installation import Installation, InstallationSettings
from upsales_fortnox.services import Services
from upsales_fortnox.sync import context as context_module
from upsales_fortnox.sync.context import InstallationContext, installation_context
from upsales_fortnox.vocabulary import InstallationStatus, SyncType


async def _installation(services: Services, tenant_id: str = "42") -> uuid.UUID:
    async with services.session_factory() as session:
        installation = Installation(
            name="Acme AB",
            status=InstallationStatus.ACTIVE,
            upsales_api_token_enc=services.secret_box.encrypt("upsales-token-1"),
            fortnox_tenant_id=tenant_id,
        )
        installation.settings = InstallationSettings(sync_type=SyncType.INVOICE)
        session.add(installation)
        await session.commit()
        return installation.id


async def _switch_to_orders(services: Services, installation_id: uuid.UUID) -> None:
    async with services.session_factory() as session:
        settings = await session.get(InstallationSettings, installation_id)
        assert settings is not None
        settings.sync_type = SyncType.ORDER
        await session.commit()


async def test_jobs_of_a_turn_reuse_the_context_until_the_settings_change(
    services: Services,
) -> None:
    clock = FakeClock()
    installation_id = await _installation(services)
    for entity in ("1", "2", "3"):
        await add_job(services.session_factory, installation_id, clock, entity_id=entity)
    contexts: list[InstallationContext] = []

    async def handler(ctx: JobContext) -> None:
        contexts.append(await installation_context(services, ctx.installation_id, ctx))
        if ctx.entity_id == "2":
            await _switch_to_orders(services, installation_id)

    worker = make_worker(services.session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 3

    first, second, third = contexts
    assert second is first
    assert third is not first
    assert [c.settings.sync_type for c in contexts] == [SyncType.INVOICE] * 2 + [SyncType.ORDER]
    assert third.fortnox_tenant_id == "42"


async def _new_upsales_key(services: Services, installation_id: uuid.UUID) -> None:
    async with services.session_factory() as session:
        installation = await session.get(Installation, installation_id)
        assert installation is not None
        installation.upsales_api_token_enc = services.secret_box.encrypt("upsales-token-2")
        await session.commit()


async def test_the_next_turns_reuse_the_context_until_the_installation_changes(
    services: Services,
) -> None:
    clock = FakeClock()
    installation_id = await _installation(services)
    contexts: list[InstallationContext] = []

    async def handler(ctx: JobContext) -> None:
        contexts.append(await installation_context(services, ctx.installation_id, ctx))

    worker = make_worker(services.session_factory, HandlerRegistry({"test.job": handler}), clock)
    for entity in ("1", "2", "3"):
        await add_job(services.session_factory, installation_id, clock, entity_id=entity)
        assert await worker.run_once() == 1  # a turn each
        if entity == "2":
            await _new_upsales_key(services, installation_id)
    first, second, third = contexts
    assert (second.settings, second.upsales) == (first.settings, first.upsales)
    assert second.upsales is first.upsales, "the installation was not read again"
    assert second.fortnox is not first.fortnox, "a Fortnox client of the turn's own"
    assert third.upsales is not first.upsales, "a new Upsales key is read before the next job"


async def test_the_process_keeps_the_contexts_used_last(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context_module, "MAX_CONTEXTS_KEPT", 2)
    installations = [await _installation(services, tenant_id) for tenant_id in ("1", "2", "3")]

    async def context(installation_id: uuid.UUID) -> InstallationContext:
        return await installation_context(
            services, installation_id, _job_of_turn(services, installation_id, {})
        )

    first = await context(installations[0])
    await context(installations[1])
    assert (await context(installations[0])).upsales is first.upsales  # the last used now
    await context(installations[2])  # the second, used longest ago, goes
    assert list(services.installation_contexts) == [installations[0], installations[2]]
    assert (await context(installations[0])).upsales is first.upsales


def _job_of_turn(
    services: Services,
    installation_id: uuid.UUID,
    turn_cache: dict[str, Any],
    installation_version: int = 1,
    settings_version: int = 1,
) -> JobContext:
    async def no_checkpoint(payload: dict[str, Any]) -> None:
        raise AssertionError("not used")

    return JobContext(
        job_id=1,
        installation_id=installation_id,
        kind="test.job",
        entity_id=None,
        payload={},
        attempt=1,
        session_factory=services.session_factory,
        save_checkpoint=no_checkpoint,
        installation_version=installation_version,
        settings_version=settings_version,
        turn_cache=turn_cache,
    )


async def test_a_context_cached_at_other_versions_is_not_used(services: Services) -> None:
    installation_id = await _installation(services)
    turn_cache: dict[str, Any] = {}

    def job(installation_version: int, settings_version: int) -> JobContext:
        return _job_of_turn(
            services, installation_id, turn_cache, installation_version, settings_version
        )

    read = await installation_context(services, installation_id, job(1, 1))
    assert await installation_context(services, installation_id, job(1, 1)) is read
    await _switch_to_orders(services, installation_id)
    again = await installation_context(services, installation_id, job(1, 2))
    assert again is not read and again.settings.sync_type == SyncType.ORDER
    assert await installation_context(services, installation_id, job(1, 2)) is again
    assert await installation_context(services, installation_id) is not again


@contextmanager
def statements_sent(services: Services) -> Iterator[list[str]]:
    """The statements the services' engine sends while the block runs."""
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = services.session_factory.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _selects(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


async def test_a_kept_context_serves_a_new_turn_without_a_statement(services: Services) -> None:
    installation_id = await _installation(services)
    await installation_context(
        services, installation_id, _job_of_turn(services, installation_id, {})
    )
    with statements_sent(services) as statements:
        context = await installation_context(
            services, installation_id, _job_of_turn(services, installation_id, {})
        )
    assert statements == []
    assert context.settings.sync_type is SyncType.INVOICE and context.fortnox_tenant_id == "42"


async def test_a_job_asking_for_another_installation_gets_a_fresh_read(
    services: Services,
) -> None:
    """The job's versions are its own installation's: another's kept context is not taken
    on them."""
    mine, other = await _installation(services, "1"), await _installation(services, "2")
    kept = await installation_context(services, other, _job_of_turn(services, other, {}))
    await _new_upsales_key(services, other)  # version 2: the kept one is stale
    with statements_sent(services) as statements:
        read = await installation_context(services, other, _job_of_turn(services, mine, {}))
    assert len(_selects(statements)) == 1
    assert read.upsales is not kept.upsales and read.installation_id == other


async def test_jobs_starting_side_by_side_read_the_context_once(services: Services) -> None:
    installation_id = await _installation(services)
    turn_cache: dict[str, Any] = {}
    with statements_sent(services) as statements:
        contexts = await asyncio.gather(
            *(
                installation_context(
                    services, installation_id, _job_of_turn(services, installation_id, turn_cache)
                )
                for _ in range(3)
            )
        )

    assert contexts[1] is contexts[0] and contexts[2] is contexts[0]
    assert len(_selects(statements)) == 1


async def test_the_context_is_read_in_one_statement(services: Services) -> None:
    installation_id = await _installation(services)
    with statements_sent(services) as statements:
        context = await installation_context(services, installation_id)

    assert context.settings.sync_type is SyncType.INVOICE
    assert len(_selects(statements)) == 1
