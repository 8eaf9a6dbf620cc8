"""The ``document_intents`` rows as both of their uses read them: a won deal's intent to
create its document (:mod:`.document_intents`) and the customer create it noted
(:mod:`.customer_create_notes`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final, cast

from sqlalchemy import ColumnElement, Table, and_, null, or_
from sqlalchemy.dialects import postgresql, sqlite

from upsales_fortnox.core.db.upsert import upsert_insert
from upsales_fortnox.models.link import DocumentIntent

INTENTS = cast(Table, DocumentIntent.__table__)


def insert_intent_row(dialect: str) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into the intents that can say what a conflict with an existing one does."""
    return upsert_insert(dialect, INTENTS)


NO_CUSTOMER_NOTE: Final = {
    "customer_company_id": None,
    "customer_sent_at": None,
    "customer_settles_at": None,
    "customer_sent_fields": null(),  # SQL NULL (None would store JSON's null)
}
"""An intent's customer columns once nothing of its noted create can land."""


def no_customer_create_may_land(now: datetime) -> ColumnElement[bool]:
    """The intent holds no customer create, or one whose wait has passed by ``now``."""
    return or_(
        INTENTS.c.customer_sent_at.is_(None),
        and_(INTENTS.c.customer_settles_at.is_not(None), INTENTS.c.customer_settles_at <= now),
    )


def of_order(installation_id: uuid.UUID, upsales_order_id: int) -> ColumnElement[bool]:
    return and_(
        INTENTS.c.installation_id == installation_id,
        INTENTS.c.upsales_order_id == upsales_order_id,
    )
