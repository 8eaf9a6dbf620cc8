"""A refusal of a hook Upsales waits on (``before_order_save``, ``app_status_order``,
``limit_pricelists``, ``show_field_sync``), answered as its user may read it.

Upsales' app template answers every error with ``{"error": "<text>"}``, so such a refusal
carries the text in each of
:data:`~upsales_fortnox.integrations.upsales.facts.HOOK_REFUSAL_TEXT_FIELDS`, always a string,
in the hook's language, with the stable code in ``code``; status and headers stay the
operators'. The hook is known by the type its URL names or, failing that, by its body's type,
read leniently (a body refused for a NUL or a key given twice still names it). A key or an
installation that is not ours reads ``hook.not_connected``, anything else ``hook.unreadable``.
Hooks nobody waits on and trigger requests keep ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import json
from typing import Any, Final

from fastapi.responses import JSONResponse

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.core.texts import language_of_hook, say
from upsales_fortnox.intake.routing import UPSALES_SYNCHRONOUS_EVENTS
from upsales_fortnox.intake.wire import UPSALES_EVENT_TYPE_FIELD
from upsales_fortnox.integrations.upsales.facts import HOOK_REFUSAL_TEXT_FIELDS

#: The codes that say the call is not for an installation of ours (its key, or the URL's id).
_NOT_CONNECTED: Final = frozenset({"invalid_credentials", "installation_not_found"})


def waited_on_refusal(
    error: ApiError, raw: bytes | None, path_type: str | None
) -> JSONResponse | None:
    """``error`` as the user of a hook Upsales waits on reads it; None for any other hook."""
    document = _lenient_document(raw)
    named = (path_type, document.get(UPSALES_EVENT_TYPE_FIELD))
    if not any(isinstance(name, str) and name in UPSALES_SYNCHRONOUS_EVENTS for name in named):
        return None
    key = "hook.not_connected" if error.code in _NOT_CONNECTED else "hook.unreadable"
    text = say(key, language_of_hook(document))
    return JSONResponse(
        status_code=error.status_code,
        content={**dict.fromkeys(HOOK_REFUSAL_TEXT_FIELDS, text), "code": error.code},
        headers=error.headers,
    )


def _lenient_document(raw: bytes | None) -> dict[str, Any]:
    """The body as a JSON object, however the strict reading judged it; empty when it is none."""
    if not raw:
        return {}
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}
