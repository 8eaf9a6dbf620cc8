"""Links between an Upsales entity and its Fortnox counterpart."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from upsales_fortnox.api.schemas import INT32_MAX, JsonInt
from upsales_fortnox.links.link_rules import FORTNOX_TYPES_BY_ENTITY, fortnox_id_problem
from upsales_fortnox.models.fortnox_ids import MAX_FORTNOX_ID_LENGTH, check_storable
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


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


def _pairs_schema(schema: dict[str, Any]) -> None:
    """Declare in the document which Fortnox types pair with each entity (else 422)."""
    schema["oneOf"] = [
        {
            "properties": {
                "entity": {"const": entity.value},
                "fortnox_type": {"enum": [fortnox_type.value for fortnox_type in fortnox_types]},
            }
        }
        for entity, fortnox_types in FORTNOX_TYPES_BY_ENTITY.items()
    ]


class LinkCreate(BaseModel):
    """A link set by hand, to settle an ambiguous match. The types must pair: company ↔
    customer, product ↔ article, order ↔ order, invoice or offer."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_pairs_schema)

    entity: LinkEntity
    upsales_id: JsonInt = Field(ge=1, le=INT32_MAX)
    fortnox_type: FortnoxType
    fortnox_id: Annotated[
        str,
        Field(min_length=1, max_length=MAX_FORTNOX_ID_LENGTH, pattern=r"^[^\x00-\x20\x7f]+$"),
        AfterValidator(check_storable),
    ]

    @model_validator(mode="after")
    def _types_pair(self) -> LinkCreate:
        if self.fortnox_type not in FORTNOX_TYPES_BY_ENTITY[self.entity]:
            allowed = ", ".join(FORTNOX_TYPES_BY_ENTITY[self.entity])
            raise ValueError(
                f"an Upsales {self.entity} links to a Fortnox {allowed}, not {self.fortnox_type}"
            )
        problem = fortnox_id_problem(self.fortnox_type, self.fortnox_id)
        if problem is not None:
            raise ValueError(problem)
        return self
