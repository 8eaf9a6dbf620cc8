"""Links between an Upsales entity and its Fortnox counterpart."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    installation_id: uuid.UUID
    entity: str = Field(description="company, product or order")
    upsales_id: int
    fortnox_type: str = Field(description="customer, article, order, invoice or offer")
    fortnox_id: str
    fingerprint: str | None = Field(description="Hash of the fields as last synced.")
    synced_at: datetime | None
    created_at: datetime
