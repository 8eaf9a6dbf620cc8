"""Two customers of the service and what they synced, for the search tests: "Nordisk Verkstad
AB" (an installation whose Upsales account has a company "Ångström Svets AB" and invoice 9001)
and "Östra Maskin AB"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import add_job
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import JobStatus


@dataclass(frozen=True)
class Seeded:
    nordisk: str
    ostra: str
    company_job: int
    invoice_job: int


async def _link(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: str,
    entity: str,
    upsales_id: int,
    fortnox: tuple[str, str],
    name: str | None = None,
) -> None:
    async with session_factory() as session:
        session.add(
            Link(
                installation_id=uuid.UUID(installation_id),
                entity=entity,
                upsales_id=upsales_id,
                fortnox_type=fortnox[0],
                fortnox_id=fortnox[1],
                synced_fields={"name": name, "city": "Lund"} if name else None,
            )
        )
        await session.commit()


async def _installation(session_factory: async_sessionmaker[AsyncSession], name: str) -> str:
    async with session_factory() as session:
        installation = Installation(name=name)
        session.add(installation)
        await session.commit()
        return str(installation.id)


async def seed(
    session_factory: async_sessionmaker[AsyncSession], *, company: str = "Ångström Svets AB"
) -> Seeded:
    nordisk = await _installation(session_factory, "Nordisk Verkstad AB")
    ostra = await _installation(session_factory, "Östra Maskin AB")
    await _link(session_factory, nordisk, "company", 42, ("customer", "17"), company)
    await _link(session_factory, nordisk, "order", 5, ("invoice", "9001"))
    await _link(session_factory, ostra, "company", 43, ("customer", "18"), "Ostkusten 100% AB")
    company_job = await add_job(
        session_factory, nordisk, kind="upsales.company", entity_id="42", status=JobStatus.DONE
    )
    invoice_job = await add_job(
        session_factory,
        nordisk,
        kind="upsales.order",
        entity_id="5",
        status=JobStatus.DEAD,
        last_error="fortnox_refused: the customer is inactive",
    )
    return Seeded(nordisk, ostra, company_job, invoice_job)
