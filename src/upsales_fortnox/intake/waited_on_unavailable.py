"""The answer to a hook Upsales waits on (``before_order_save``, ``app_status_order``, ...) when
the database cannot be read or written: 503 with ``Retry-After`` and the stable code, and the
text the user may read, in the hook's language, where a refusal carries it
(:data:`~upsales_fortnox.integrations.upsales.facts.HOOK_REFUSAL_TEXT_FIELDS`, which also says
what is known of Upsales showing it); a hook that must get an answer, not a refusal
(``limit_pricelists``, ``show_field_sync``: reference upsales.md §7) gets the one its responder
gives without the database (:meth:`~.hook_answers.ResponderRegistry.register`); an event it
does not wait on keeps the operators' ``{"error": {"code", "message"}}``. The body is read
without its API key being checked (the database that holds it is away): the answer tells
nothing of the installation.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse

from upsales_fortnox.core.db.unavailable import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from upsales_fortnox.core.texts import Language, language_of_hook, say
from upsales_fortnox.intake.errors import IntakeError
from upsales_fortnox.intake.hook_answers import ResponderRegistry
from upsales_fortnox.intake.parse import SynchronousQuestion, parse_json, parse_upsales_app_hook
from upsales_fortnox.integrations.upsales.facts import HOOK_REFUSAL_TEXT_FIELDS


def waited_on_unavailable(
    raw: bytes, path_type: str | None, responders: ResponderRegistry
) -> JSONResponse | None:
    """The answer for an app hook body that asks a question; None for any other body (an
    after-event, a trigger, one that does not parse), which gets the operators' 503."""
    try:
        document = parse_json(raw)
        question = parse_upsales_app_hook(document, path_type=path_type)
    except IntakeError:
        return None
    if not isinstance(question, SynchronousQuestion):
        return None
    return cannot_answer_now(
        question.event_type,
        responders,
        language=language_of_hook(document),
        code=DATABASE_UNAVAILABLE,
        retry_after=RETRY_AFTER_SECONDS,
    )


def cannot_answer_now(
    event_type: str,
    responders: ResponderRegistry,
    *,
    language: Language,
    code: str,
    retry_after: int,
) -> JSONResponse:
    """The answer to a hook of ``event_type`` that Upsales waits on, when the service cannot
    work out its own: the one its responder gives without the database, else 503 with
    ``code`` and the user's text (also for a hook refused at the intake's limit, whose body is
    not read: :mod:`.admission`)."""
    answer = responders.without_database(event_type)
    if answer is not None:
        reply = answer()
        return JSONResponse(status_code=reply.status_code, content=reply.body)
    text = say("hook.unavailable", language)
    return JSONResponse(
        status_code=503,
        content={**dict.fromkeys(HOOK_REFUSAL_TEXT_FIELDS, text), "code": code},
        headers={"Retry-After": str(retry_after)},
    )
