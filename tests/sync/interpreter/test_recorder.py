"""Each command kind carried out by the interpreter on the recorder: every write is recorded,
nothing is sent (respx refuses any request: no route is added)."""

from __future__ import annotations

import pytest
import respx

from tests.sync.interpreter.examples import (
    CREATE_COMPANY,
    CREATE_CUSTOMER,
    CREATE_DOCUMENT,
    CREATE_ORDER,
    CREATE_PRODUCT,
    INVOICE,
    LINK_CUSTOMER,
    LINK_DOCUMENT,
    NO_CHANGE,
    REFUSE,
    REMOVE_LINK,
    SAVE_LINK,
    SYNCED,
    UPDATE_COMPANY,
    UPDATE_CUSTOMER,
    UPDATE_DOCUMENT,
    UPDATE_ORDER,
    UPDATE_PRODUCT,
    WRITE_NUMBER,
)
from upsales_fortnox.domain.sync_commands import SaveLink
from upsales_fortnox.sync import interpreter
from upsales_fortnox.sync.effects.recorder import Recorded, Recorder
from upsales_fortnox.sync.outbound.fortnox_documents import DocumentLocked
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


async def test_upsales_commands_are_recorded_not_sent(api: respx.MockRouter) -> None:
    recorder = Recorder()
    commands = [
        CREATE_COMPANY,
        CREATE_ORDER,
        CREATE_PRODUCT,
        UPDATE_COMPANY,
        UPDATE_ORDER,
        UPDATE_PRODUCT,
        WRITE_NUMBER,
        SAVE_LINK,
        REMOVE_LINK,
        NO_CHANGE,
    ]

    applied = await interpreter.apply(commands, recorder)

    assert not api.calls
    assert applied.created == []  # nothing created, so no link to a created record either
    assert recorder.writes == [
        Recorded("create_company", (CREATE_COMPANY.company,)),
        Recorded("create_order", (CREATE_ORDER.order,)),
        Recorded("create_product", (CREATE_PRODUCT.product,)),
        Recorded("update_company", (3, UPDATE_COMPANY.changes)),
        Recorded("update_order", (4, UPDATE_ORDER.changes)),
        Recorded("update_product", (6, UPDATE_PRODUCT.changes)),
        Recorded("write_customer_number", (3, 11, "10")),
        Recorded("save_link", (SAVE_LINK,)),
        Recorded("remove_link", (FortnoxType.ARTICLE, "A2")),
    ]


async def test_fortnox_commands_are_recorded_not_sent(api: respx.MockRouter) -> None:
    recorder = Recorder()
    commands = [
        CREATE_CUSTOMER,
        LINK_CUSTOMER,
        UPDATE_CUSTOMER,
        CREATE_DOCUMENT,
        LINK_DOCUMENT,
        UPDATE_DOCUMENT,
    ]

    applied = await interpreter.apply(commands, recorder)

    assert not api.calls and applied.fortnox == []
    # links whose ids are known without writing are recorded, without what only an answer
    # tells (the customer's fingerprint, the rows' ids)
    customer_link = SaveLink(
        LinkEntity.COMPANY, 3, FortnoxType.CUSTOMER, "10", None, synced_fields=SYNCED
    )
    order_link = SaveLink(LinkEntity.ORDER, 4, FortnoxType.INVOICE, "5", "fp-d")
    assert recorder.writes == [
        Recorded("create_customer", (CREATE_CUSTOMER.customer,)),
        Recorded("save_link", (customer_link,)),
        Recorded("update_customer", ("10", UPDATE_CUSTOMER.changes)),
        Recorded("save_link", (customer_link,)),
        Recorded("create_document", (FortnoxType.INVOICE, INVOICE)),
        Recorded("save_link", (order_link,)),
        Recorded("update_document", (FortnoxType.INVOICE, 5, INVOICE)),
        Recorded("save_link", (order_link,)),
    ]


async def test_a_refused_document_change_raises_on_the_recorder_too(
    api: respx.MockRouter,
) -> None:
    recorder = Recorder()

    with pytest.raises(DocumentLocked):
        await interpreter.apply([REFUSE, SAVE_LINK], recorder)

    assert not api.calls and recorder.writes == []
