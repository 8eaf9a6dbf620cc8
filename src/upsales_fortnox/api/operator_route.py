"""The operator API reads JSON bodies by the webhooks' strict rules.

A body the intake would refuse (a key given twice, such as a ``webhook_secret``; nesting deeper
than :data:`~upsales_fortnox.intake.strict_json.MAX_DEPTH`; NaN; not UTF-8; an integer of more
digits than Python reads) is a 422 ``validation_error`` naming the problem, as a body that is
not JSON at all already is, and nothing is stored. Every answer, refusals too, is
``Cache-Control: no-store``. Every operator router is built with :class:`OperatorRoute` (a test
checks).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response

from upsales_fortnox.api.no_store import NoStoreRoute
from upsales_fortnox.intake.errors import IntakeError, MalformedJsonError
from upsales_fortnox.intake.strict_json import strict_loads


def _not_json(name: str) -> Any:
    raise MalformedJsonError(f"the body uses {name}, which is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise MalformedJsonError(f"the number {text[:20]} is too large")
    return number


class _StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = strict_loads(
                    await self.body(), parse_constant=_not_json, parse_float=_finite
                )
            except IntakeError as exc:
                raise HTTPException(422, exc.message) from exc
            except json.JSONDecodeError:
                raise  # FastAPI's own 422, with where the JSON breaks
            except ValueError as exc:  # an integer longer than Python reads (4,300 digits)
                raise HTTPException(422, "the body holds a number too long to read") from exc
            except RecursionError as exc:
                raise HTTPException(422, "the body is nested too deeply") from exc
        return self._json


class OperatorRoute(NoStoreRoute):
    """A route whose JSON body is read by :class:`_StrictJsonRequest` and whose every answer is
    ``no-store``: an installation's answer holds its signed Fortnox login link, and none is
    meant for a cache."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(_StrictJsonRequest(request.scope, request.receive))

        return strict_handler
