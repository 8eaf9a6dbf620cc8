"""What a Fortnox id the tables keep may be: as long as Fortnox allows, and small enough for an
index entry.

A link's Fortnox id and a queued job's entity are columns of unique b-tree indexes, and
PostgreSQL refuses an index entry over about 2,700 bytes. Fortnox allows a customer number of
:data:`~upsales_fortnox.integrations.fortnox.limits.MAX_CUSTOMER_NUMBER_LENGTH` characters, of
letters, digits and ``-+/_`` (reference fortnox.md §5). Of ASCII letters (a byte each) that
fits; whether Fortnox takes other letters no source says, and a number that long of letters of
three or four bytes would not. So an id is kept only while its UTF-8 form is at most
:data:`MAX_FORTNOX_ID_BYTES`: every id of that many characters of one or two bytes each (every
Latin letter, ``åäö`` too), well under the limit with the index's other columns. A longer one is
refused where it comes in, so no write ever meets the index limit (no 500, no job that fails at
every retry): the event endpoint and the operator API answer 422 ``validation_error``, the
stream skips the event (logged, as any it cannot read), the initial import reports the customer
``skipped`` (:data:`FORTNOX_ID_TOO_LONG`) and reconciliation leaves it out (logged). A link to
one found another way (a won deal's search for its customer) ends its job dead with that code
(:func:`kept_fortnox_id`), rather than failing at the database at every retry.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator, Field

from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.limits import MAX_FORTNOX_ID_LENGTH

__all__ = [
    "FORTNOX_ID_TOO_LONG",
    "MAX_FORTNOX_ID_BYTES",
    "MAX_FORTNOX_ID_LENGTH",
    "FortnoxIdText",
    "check_storable",
    "kept_fortnox_id",
    "storable_fortnox_id",
]

MAX_FORTNOX_ID_BYTES: Final = 2 * MAX_FORTNOX_ID_LENGTH
"""The most UTF-8 bytes of a Fortnox id the tables keep."""

FORTNOX_ID_TOO_LONG: Final = "fortnox_id_too_long"
"""The stable reason of an id the tables cannot keep."""


def storable_fortnox_id(value: str) -> bool:
    """Whether the tables can keep ``value`` as a Fortnox id (see the module's docstring)."""
    return (
        len(value) <= MAX_FORTNOX_ID_LENGTH
        and len(value.encode("utf-8", "surrogatepass")) <= MAX_FORTNOX_ID_BYTES
    )


def check_storable(value: str) -> str:
    """``value``, or a ``ValueError`` (a validation error) when the tables cannot keep it."""
    if not storable_fortnox_id(value):
        raise ValueError(
            f"must be at most {MAX_FORTNOX_ID_LENGTH} characters "
            f"and {MAX_FORTNOX_ID_BYTES} bytes as UTF-8"
        )
    return value


def kept_fortnox_id(value: str) -> str:
    """``value``, to be written to a table; a :class:`PermanentError`
    (:data:`FORTNOX_ID_TOO_LONG`) when the tables cannot keep it."""
    if not storable_fortnox_id(value):
        raise PermanentError(
            f"a Fortnox id of {len(value)} characters is longer than the sync keeps",
            code=FORTNOX_ID_TOO_LONG,
        )
    return value


FortnoxIdText = Annotated[
    str, Field(min_length=1, max_length=MAX_FORTNOX_ID_LENGTH), AfterValidator(check_storable)
]
"""A Fortnox id as a request or an event names it: one the tables can keep."""
