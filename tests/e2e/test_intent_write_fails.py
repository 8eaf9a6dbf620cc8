"""The intent's write fails as the document's create is about to be sent (the database drops
the connection, say): the create is not sent. ``on_first_send`` runs its action again at the
next write made within it (:func:`upsales_fortnox.integrations.send_check.on_first_send`), so
that next try must record the intent too, not send the create without one."""

from __future__ import annotations

from functools import partial

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.won_deal_support import intents, new_won_deal
from upsales_fortnox.integrations.send_check import first_send
from upsales_fortnox.links.repository import won_deal_links
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.sync.outbound.earlier_create import intent_recorded
from upsales_fortnox.sync.outbound.sent_creates import create_on_its_way
from upsales_fortnox.vocabulary import FortnoxType


class ConnectionDropped(Exception):
    pass


async def test_a_create_tried_again_after_its_intent_failed_to_record_records_it(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    order_id = new_won_deal(harness)
    links = WonDealLinks(harness.services.session_factory, harness.installation_id)
    assert (await links.read(order_id, None, [], intent=FortnoxType.INVOICE)).sent_before is None
    record = won_deal_links.record_intent
    failures = [ConnectionDropped("the intent's commit failed")]

    async def fails_once(*args: object) -> bool:
        if failures:
            raise failures.pop()
        return await record(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(won_deal_links, "record_intent", fails_once)
    sent = 0
    async with create_on_its_way(links, as_it_is_sent=partial(intent_recorded, links, order_id)):
        with pytest.raises(ConnectionDropped):  # the create's first try: not sent
            await first_send()
        await first_send()  # its next try: the action runs again before it is sent
        sent += 1

    assert sent == 1
    assert await intents(harness) == 1  # the create sent has its intent
