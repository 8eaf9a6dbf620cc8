"""Extension point: checking that the ids in settings exist in the live systems.

The pure rules (:mod:`.settings_rules`) only see the shape of the settings. A check that asks
Upsales for its stages and users, and Fortnox for its price lists, implements
:class:`SettingsReferenceCheck` and is passed to the settings writes; any problem it returns
(with code ``unknown_reference``) rejects the settings with a 422 and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from upsales_fortnox.domain.settings_rules import SettingsProblem, ValidSettings
from upsales_fortnox.models.installation import Installation


class SettingsReferenceCheck(Protocol):
    async def __call__(
        self, installation: Installation, settings: ValidSettings
    ) -> Sequence[SettingsProblem]:
        """Problems with ids that do not exist for this installation; empty when all do.

        ``installation`` may not be stored yet (settings given at creation)."""
        ...
