"""The inbound sync, the initial import and its preview carry their commands out through the
one interpreter: the same ``apply``, on a writer (links committed at once, or per page) or on
a recorder."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed
from tests.sync.initial.scenario import seed_overlap, writes
from upsales_fortnox.domain.sync_commands import Command
from upsales_fortnox.sync import interpreter
from upsales_fortnox.sync.effects.link_sinks import CommittedLinks, PageLinks
from upsales_fortnox.sync.effects.live_writer import Writer
from upsales_fortnox.sync.effects.recorder import Recorder
from upsales_fortnox.sync.interpreter import Applied, Effects


@dataclass(frozen=True)
class Call:
    commands: tuple[str, ...]
    target: str


class Spy:
    """Wraps the interpreter's ``apply``: every call is noted, then carried out as before."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._apply = interpreter.apply

    async def __call__(self, commands: Iterable[Command], effects: Effects) -> Applied:
        commands = list(commands)
        self.calls.append(Call(tuple(type(c).__name__ for c in commands), _target(effects)))
        return await self._apply(commands, effects)

    def take(self) -> list[Call]:
        calls, self.calls = self.calls, []
        return calls


def _target(effects: Effects) -> str:
    if isinstance(effects, Recorder):
        return "recorder"
    assert isinstance(effects, Writer)
    if isinstance(effects.links, PageLinks):
        return "writer, links per page"
    assert isinstance(effects.links, CommittedLinks)
    return "writer, links at once"


def _commands(calls: list[Call]) -> set[str]:
    return {name for call in calls for name in call.commands}


async def test_inbound_import_and_preview_apply_commands_through_the_one_interpreter(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy()
    monkeypatch.setattr(interpreter, "apply", spy)
    seed_overlap(harness)
    feed = EventFeed(harness)
    feed.new_events()  # the seeded entities are for the import
    harness.upsales.reset_counters()

    preview = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync/preview",
        headers=harness.admin_headers,
    )
    assert preview.status_code == 200, preview.text
    previewed = spy.take()
    assert {call.target for call in previewed} == {"recorder"}
    assert {"CreateUpsalesCompany", "CreateUpsalesProduct"} <= _commands(previewed)
    assert writes(harness) == 0

    started = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync",
        headers=harness.admin_headers,
    )
    assert started.status_code == 202, started.text
    await harness.run_jobs()
    imported = spy.take()
    assert {call.target for call in imported} == {"writer, links per page"}
    assert {"CreateUpsalesCompany", "CreateUpsalesOrder"} <= _commands(imported)
    # the preview carried out what the import did for customers and articles; it judges
    # documents from their list items, so it has no order to create
    assert sorted(call.commands for call in previewed) == sorted(
        call.commands for call in imported if call.commands != ("CreateUpsalesOrder",)
    )

    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "6", "Name": "Zeta Zink AB"}]
    )
    assert await feed.sync() == 1
    inbound = spy.take()
    assert inbound == [Call(("CreateUpsalesCompany",), "writer, links at once")]
