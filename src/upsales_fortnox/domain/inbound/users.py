"""The Upsales user of an imported order, from the document's "Vår referens" (pure).

``OurReference`` is free text (at most 50 characters). It names a user when it equals the
user's e-mail address (case-insensitive) or name (case and white space folded). Inactive and
ghost users are not chosen; a name two users share names no one. Without a match the setting
``placeholderUser`` is used.
"""

from __future__ import annotations

from collections.abc import Sequence

from upsales_fortnox.domain.identity import normalise_name
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.upsales.models import User


class SettingsIncomplete(PermanentError):
    """A setting the sync needs is not set (the message names it)."""

    code = "settings_incomplete"


def _selectable(user: User) -> bool:
    return user.active is not False and not user.ghost


def match_user(reference: str | None, users: Sequence[User]) -> int | None:
    """The id of the one user ``reference`` names, or None."""
    wanted = normalise_name(reference)
    if wanted is None:
        return None
    candidates = [user for user in users if _selectable(user)]
    by_email = [u for u in candidates if normalise_name(u.email) == wanted]
    if len(by_email) == 1:
        return by_email[0].id
    by_name = [u for u in candidates if normalise_name(u.name) == wanted]
    if len(by_name) == 1:
        return by_name[0].id
    return None


def order_user(reference: str | None, users: Sequence[User], settings: SyncSettings) -> int:
    """The user named by ``reference``, else ``placeholderUser``."""
    user_id = match_user(reference, users)
    if user_id is not None:
        return user_id
    if settings.placeholder_user is None:
        raise SettingsIncomplete(
            f"'Vår referens' ({reference or 'empty'}) names no Upsales user and the setting "
            "placeholderUser is not set"
        )
    return settings.placeholder_user
