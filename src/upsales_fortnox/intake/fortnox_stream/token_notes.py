"""What the stream tells about installations whose Fortnox token it cannot have.

The stream looks for every active installation's token every few seconds while it follows
nothing, and at every tenant refresh while connected. An installation whose token cannot be had
(Fortnox's login service down, a refused login, a credential that cannot be decrypted) is told
once per cause, one warning line with its id and the stable code, and once more when it has a
token again: not at every look.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection

log = logging.getLogger("upsales_fortnox.intake.fortnox_stream.consumer")


class MissingTokens:
    def __init__(self) -> None:
        self._codes: dict[uuid.UUID, str] = {}
        """The installations whose token could not be had, with the code last told."""

    def missing(self, installation_id: uuid.UUID, code: str) -> None:
        if self._codes.get(installation_id) == code:
            return
        self._codes[installation_id] = code
        log.warning(
            "no Fortnox token for installation %s on the stream (%s); not followed until there is",
            installation_id,
            code,
            extra={"installation_id": str(installation_id), "code": code},
        )

    def found(self, installation_ids: Collection[uuid.UUID], active: Collection[uuid.UUID]) -> None:
        """These installations have their token: each one missing before is told once. One no
        longer ``active`` is forgotten quietly: if it comes back without a token, that is told
        again (and the notes keep no installation that has gone)."""
        for installation_id in [known for known in self._codes if known not in active]:
            del self._codes[installation_id]
        for installation_id in installation_ids:
            if self._codes.pop(installation_id, None) is not None:
                log.info(
                    "installation %s has a Fortnox token for the stream again",
                    installation_id,
                    extra={"installation_id": str(installation_id)},
                )
