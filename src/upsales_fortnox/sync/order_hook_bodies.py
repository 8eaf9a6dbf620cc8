"""What the order hooks Upsales waits on carry (the order, its id), and how they are refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from upsales_fortnox.intake.hook_answers import ResponderReply
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.upsales import facts as upsales_facts

Answer = ResponderReply
"""An HTTP answer to a synchronous app hook (200 = yes; 400 + its text = refusal)."""


def hook_object(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """The order the hook carries (``data.obj``, or ``data.object``), when it carries one."""
    data = body.get("data")
    if isinstance(data, dict):
        for key in ("obj", "object"):
            if isinstance(data.get(key), dict):
                return dict(data[key])
    return None


def refusal(message: str, code: str = "order_not_sendable") -> Answer:
    """A 400 with the text the user reads where Upsales may read it (see the fact)."""
    texts = dict.fromkeys(upsales_facts.HOOK_REFUSAL_TEXT_FIELDS, message)
    return Answer({**texts, "code": code}, 400)


def hook_order_id(body: Mapping[str, Any]) -> int | None:
    """The order's id, from the first of
    :data:`~upsales_fortnox.integrations.upsales.facts.HOOK_ORDER_ID_PATHS` that holds one."""
    candidates: list[Any] = []
    carried = hook_object(body)
    if carried is not None:
        candidates.append(carried.get("id"))
    data = body.get("data")
    if isinstance(data, dict):
        candidates.extend(data.get(key) for key in ("obj", "object"))  # a bare id
        candidates.append(data.get("id"))
    candidates.append(body.get("id"))
    for candidate in candidates:
        if isinstance(candidate, int) and not isinstance(candidate, bool) and candidate > 0:
            return candidate
        number = parse_digits(candidate) if isinstance(candidate, str) else None
        if number:
            return number
    return None
