"""An import page's entities: one Upsales refuses (a 403 is a rule's refusal of that request,
facts.FORBIDDEN_MAY_BE_ACCESS) is a ``failed`` outcome and the others go on; a refused key
(401) ends the run."""

from __future__ import annotations

import asyncio

from upsales_fortnox.integrations.upsales.errors import UpsalesAuthError, UpsalesForbidden
from upsales_fortnox.sync.initial.import_outcomes import Outcome, gather_outcomes


async def test_a_403_fails_its_entity_and_a_401_ends_the_run() -> None:
    async def created() -> Outcome:
        return Outcome("created", {"fortnox_id": "1"})

    async def forbidden() -> Outcome:
        raise UpsalesForbidden("Upsales PUT /accounts/{id} answered 403 (SomeRule: no)")

    async def key_refused() -> Outcome:
        raise UpsalesAuthError("Upsales POST /accounts answered 401")

    results = await gather_outcomes(
        [
            ({"fortnox_id": "1"}, created),
            ({"fortnox_id": "2"}, forbidden),
            ({"fortnox_id": "3"}, key_refused),
        ],
        asyncio.Semaphore(2),
    )

    assert results[0] == Outcome("created", {"fortnox_id": "1"})
    assert isinstance(results[1], Outcome) and results[1].outcome == "failed"
    assert results[1].entry["reason"].startswith("upsales_forbidden: ")
    assert isinstance(results[2], UpsalesAuthError)
