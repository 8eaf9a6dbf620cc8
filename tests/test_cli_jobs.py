"""``upsales-fortnox jobs``: an operator with a shell finds dead jobs, their code and reason,
and retries one, or those of an installation, as the jobs API does."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from tests.database import create_schema
from tests.jobs.support import FakeClock, add_installation, add_job
from upsales_fortnox.cli.commands import cli
from upsales_fortnox.cli.errors import describe
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.models.fortnox_ids import MAX_FORTNOX_ID_LENGTH
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus

KEY = "upsaleskey0123456789abcdef"
REFUSED = "fortnox_refused: POST /invoices: HTTP 400: Kunde inte hitta artikel (KONS-1)"
UNAUTHORIZED = f"upsales_unauthorized: GET /orders/1?token={KEY} answered 401"
MULTILINE = "fortnox_refused: POST /invoices: HTTP 400:\n\tKunde inte hitta artikel (KONS-1)"
"""An error whose text breaks lines (as an API's message may): still one line a job."""


async def _dead_jobs(url: str) -> tuple[uuid.UUID, uuid.UUID, list[int]]:
    await create_schema(url)
    engine = create_engine(url)
    factory = create_session_factory(engine)
    clock = FakeClock()
    try:
        ours = await add_installation(factory, name="Ours AB")
        theirs = await add_installation(factory, name="Theirs AB")
        ids = [
            await add_job(factory, ours, clock, kind="upsales.order", entity_id="1"),
            await add_job(factory, ours, clock, kind="upsales.order", entity_id="2"),
            await add_job(factory, theirs, clock, kind="upsales.order", entity_id="1"),
        ]
        async with factory() as session:
            for job_id, error in zip(ids, [REFUSED, UNAUTHORIZED, MULTILINE], strict=True):
                await session.execute(
                    update(SyncJob)
                    .where(SyncJob.id == job_id)
                    .values(status=JobStatus.DEAD, attempts=1, last_error=error)
                )
            await session.commit()
    finally:
        await engine.dispose()
    return ours, theirs, ids


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return {"DATABASE_URL": url}


def test_dead_jobs_are_listed_with_their_code_and_retried_one_or_by_installation(
    env: dict[str, str],
) -> None:
    ours, theirs, (refused, unauthorized, other) = asyncio.run(_dead_jobs(env["DATABASE_URL"]))
    runner = CliRunner()

    listed = runner.invoke(cli, ["jobs", "list", "--status", "dead", "--installation", str(ours)])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(unauthorized), str(refused)]
    assert "\tdead\t1/8\tfortnox_refused: POST /invoices: HTTP 400" in lines[1]
    assert "upsales_unauthorized: " in lines[0]
    assert KEY not in listed.output

    counted = runner.invoke(cli, ["jobs", "retry-dead", "--installation", str(ours)])
    assert counted.exit_code == 0, counted.output
    assert counted.output.startswith("2 dead job(s) match")

    one = runner.invoke(cli, ["jobs", "retry", str(refused)])
    assert one.exit_code == 0, one.output
    assert one.output.startswith(f"{refused}\t{ours}\tupsales.order\t1\tqueued\t0/8")
    again = runner.invoke(cli, ["jobs", "retry", str(refused)])
    assert again.exception is not None
    line, code = describe(again.exception, None)  # what main() prints, and its exit code
    assert (line, code) == (
        f"job_not_dead: job {refused} is queued; only a dead job can be retried",
        1,
    )

    rest = runner.invoke(
        cli, ["jobs", "retry-dead", "--installation", str(ours), "--reason", "upsales_unauthorized"]
    )
    assert rest.output.startswith("1 dead job(s) match")
    run = runner.invoke(cli, ["jobs", "retry-dead", "--installation", str(ours), "--run"])
    assert run.exit_code == 0, run.output
    assert run.output.strip() == f"1 queued again (0 remaining): {unauthorized}"

    left = runner.invoke(cli, ["jobs", "list", "--status", "dead"])
    assert [line.split("\t")[:2] for line in left.output.splitlines()] == [
        [str(other), str(theirs)]
    ]
    assert left.output.rstrip("\n").split("\t")[-1] == (
        "fortnox_refused: POST /invoices: HTTP 400: Kunde inte hitta artikel (KONS-1)"
    )


def test_a_bad_installation_id_is_a_usage_error(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["jobs", "list", "--installation", "nope"])
    assert result.exception is not None
    assert describe(result.exception, None)[1] == 2


@pytest.mark.parametrize("reason", ["fortnox_refused:", "Fortnox refused", "x" * 61])
def test_a_reason_that_is_no_code_is_a_usage_error_not_zero_matches(
    env: dict[str, str], reason: str
) -> None:
    """``--reason fortnox_refused:``, copied from ``jobs list`` with its colon, counted "0 dead
    job(s) match" (and ``--run`` queued none) while such jobs were dead; the jobs API refuses
    it (422), and so does the command line now, naming the shape of a code."""
    asyncio.run(_dead_jobs(env["DATABASE_URL"]))
    result = CliRunner().invoke(cli, ["jobs", "retry-dead", "--reason", reason])
    assert result.exception is not None, result.output
    line, code = describe(result.exception, None)
    assert code == 2, line
    assert "--reason" in line or "reason" in line, line


def test_a_reason_code_picks_its_dead_jobs(env: dict[str, str]) -> None:
    asyncio.run(_dead_jobs(env["DATABASE_URL"]))
    result = CliRunner().invoke(cli, ["jobs", "retry-dead", "--reason", "fortnox_refused"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 dead job(s) match")


async def _settle(url: str, installation_id: uuid.UUID, dead_job_id: int) -> None:
    """A later job of the dead job's entity, done: the dead job is settled."""
    engine = create_engine(url)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            dead = await session.get(SyncJob, dead_job_id)
            assert dead is not None
            died = datetime.now(UTC) - timedelta(hours=2)
            dead.finished_at = died
            session.add(
                SyncJob(
                    installation_id=installation_id,
                    kind=dead.kind,
                    entity_id=dead.entity_id,
                    status=JobStatus.DONE,
                    finished_at=died + timedelta(hours=1),
                )
            )
            await session.commit()
    finally:
        await engine.dispose()


def test_unsettled_only_leaves_out_a_dead_job_a_later_job_settled(env: dict[str, str]) -> None:
    ours, _, (refused, unauthorized, _) = asyncio.run(_dead_jobs(env["DATABASE_URL"]))
    asyncio.run(_settle(env["DATABASE_URL"], ours, refused))
    runner = CliRunner()
    every = ["jobs", "retry-dead", "--installation", str(ours)]
    assert runner.invoke(cli, every).output.startswith("2 dead job(s) match")
    counted = runner.invoke(cli, [*every, "--unsettled-only"])
    assert counted.exit_code == 0, counted.output
    assert counted.output.startswith("1 dead job(s) match")
    run = runner.invoke(cli, [*every, "--unsettled-only", "--run"])
    assert run.output.strip() == f"1 queued again (0 remaining): {unauthorized}"


def test_the_jobs_of_one_deal_are_found_by_its_id(env: dict[str, str]) -> None:
    """Finance names a deal by its Upsales order id: ``--entity`` lists that entity's jobs only,
    as ``GET /api/jobs?entity_id=`` does."""
    ours, theirs, (refused, _, other) = asyncio.run(_dead_jobs(env["DATABASE_URL"]))
    runner = CliRunner()

    listed = runner.invoke(cli, ["jobs", "list", "--entity", "1"])
    assert listed.exit_code == 0, listed.output
    assert [line.split("\t")[:4] for line in listed.output.splitlines()] == [
        [str(other), str(theirs), "upsales.order", "1"],
        [str(refused), str(ours), "upsales.order", "1"],
    ]
    narrowed = runner.invoke(cli, ["jobs", "list", "--entity", "1", "--installation", str(ours)])
    assert [line.split("\t")[0] for line in narrowed.output.splitlines()] == [str(refused)]


@pytest.mark.parametrize("entity", ["1" * (MAX_FORTNOX_ID_LENGTH + 1), "1\x002"])
def test_an_entity_id_no_job_could_hold_is_a_usage_error(env: dict[str, str], entity: str) -> None:
    asyncio.run(_dead_jobs(env["DATABASE_URL"]))
    result = CliRunner().invoke(cli, ["jobs", "list", "--entity", entity])
    assert result.exception is not None, result.output
    line, code = describe(result.exception, None)
    assert code == 2, line
    assert "--entity" in line or "entity" in line, line
