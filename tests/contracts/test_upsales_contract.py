"""The Upsales contract scenarios against the hand-written fixtures and against the sandbox,
and a check that the fixtures answer in exactly the sandbox's shapes."""

from __future__ import annotations

import pytest

from tests.contracts.recording import recording_differences
from tests.contracts.upsales_backends import (
    FixtureUpsales,
    SandboxUpsales,
    UpsalesBackend,
    upsales_contract,
)
from tests.contracts.upsales_fixtures import SCRIPTS
from tests.contracts.upsales_scenarios import SCENARIOS, Scenario
from tests.contracts.virtual_time import VirtualTime


def make_backend(kind: str, scenario: Scenario) -> UpsalesBackend:
    time = VirtualTime()
    if kind == "sandbox":
        return SandboxUpsales(time)
    return FixtureUpsales(time, SCRIPTS[scenario.__name__])


async def play(scenario: Scenario, backend: UpsalesBackend) -> None:
    async with upsales_contract(backend) as api:
        await scenario(api)
    backend.finish()


def by_name(scenario: Scenario) -> str:
    return scenario.__name__


@pytest.mark.parametrize("kind", ["fixtures", "sandbox"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=by_name)
async def test_upsales_scenario(scenario: Scenario, kind: str) -> None:
    await play(scenario, make_backend(kind, scenario))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=by_name)
async def test_upsales_fixtures_answer_like_the_sandbox(scenario: Scenario) -> None:
    fixtures, sandbox = make_backend("fixtures", scenario), make_backend("sandbox", scenario)
    for backend in (fixtures, sandbox):
        await play(scenario, backend)

    assert recording_differences(fixtures.log, sandbox.log) == []


def test_every_upsales_scenario_has_fixtures() -> None:
    assert set(SCRIPTS) == {scenario.__name__ for scenario in SCENARIOS}
