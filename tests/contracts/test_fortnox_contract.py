"""The Fortnox contract scenarios against the hand-written fixtures and against the sandbox,
and a check that the fixtures answer in exactly the sandbox's shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.contracts.conftest import sqlite_sessions
from tests.contracts.fortnox_backends import (
    FixtureFortnox,
    FortnoxBackend,
    SandboxFortnox,
    fortnox_contract,
)
from tests.contracts.fortnox_fixtures import SCRIPTS
from tests.contracts.fortnox_scenarios import SCENARIOS, Scenario
from tests.contracts.recording import recording_differences
from tests.contracts.virtual_time import VirtualTime


def make_backend(kind: str, scenario: Scenario) -> FortnoxBackend:
    time = VirtualTime()
    if kind == "sandbox":
        return SandboxFortnox(time)
    return FixtureFortnox(time, SCRIPTS[scenario.__name__])


async def play(
    scenario: Scenario, backend: FortnoxBackend, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with fortnox_contract(backend, sessions) as api:
        await scenario(api)
    backend.finish()


def by_name(scenario: Scenario) -> str:
    return scenario.__name__


@pytest.mark.parametrize("kind", ["fixtures", "sandbox"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=by_name)
async def test_fortnox_scenario(
    scenario: Scenario, kind: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await play(scenario, make_backend(kind, scenario), sessions)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=by_name)
async def test_fortnox_fixtures_answer_like_the_sandbox(scenario: Scenario, tmp_path: Path) -> None:
    fixtures, sandbox = make_backend("fixtures", scenario), make_backend("sandbox", scenario)
    for backend in (fixtures, sandbox):
        async with sqlite_sessions(tmp_path / f"{backend.name}.sqlite3") as sessions:
            await play(scenario, backend, sessions)

    assert recording_differences(fixtures.log, sandbox.log) == []


def test_every_fortnox_scenario_has_fixtures() -> None:
    assert set(SCRIPTS) == {scenario.__name__ for scenario in SCENARIOS}
