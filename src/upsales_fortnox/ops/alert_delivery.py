"""Announcing raised and resolved alerts to the alert webhook, and the periodic check.

:func:`run_alert_monitor` runs beside the worker as a background task of its own: it checks
the database every ``ALERT_CHECK_INTERVAL_SECONDS``, records what was raised or resolved, then
posts each announcement (JSON, or a Slack-compatible ``{"text"}`` body) with a timeout, at
least once (:mod:`~upsales_fortnox.ops.repository.alert_states`). A failed post is tried again
at the next check; the sync never waits for any of it. Bodies hold
our own words, codes and ids only; the webhook URL (a Slack URL is itself a secret) is never
logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

import httpx

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.models.operations import AlertState
from upsales_fortnox.ops.alert_checks import current_causes, sync_causes, thresholds_of
from upsales_fortnox.ops.repository.alert_states import (
    announced,
    claim_announcement,
    pending_announcements,
    release_announcement,
)
from upsales_fortnox.services import Services

logger = logging.getLogger(__name__)

POST_TIMEOUT_SECONDS: Final = 10.0
SERVICE: Final = "upsales-fortnox-sync"


def slack_escaped(text: str) -> str:
    """``text`` as Slack shows it as written: ``&``, ``<`` and ``>`` escaped, as Slack asks,
    so a name holding ``<!channel>`` or ``<url|words>`` is neither a mention nor a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def alert_body(row: AlertState, event: str, body_format: str) -> dict[str, Any]:
    if body_format == "slack":
        mark = ":rotating_light:" if event == "raised" else ":white_check_mark: resolved:"
        return {"text": f"{mark} [{row.kind}] {slack_escaped(row.summary)}"}
    return {
        "service": SERVICE,
        "event": event,
        "kind": row.kind,
        "cause": row.cause,
        "installation_id": str(row.installation_id) if row.installation_id else None,
        "summary": row.summary,
        "raised_at": row.raised_at.isoformat(),
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
    }


class AlertSender:
    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str | None,
        body_format: str = "json",
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock``: seconds, to tell how long a round's posts have taken."""
        self._http = http
        self._url = url
        self._format = body_format
        self._clock = clock

    async def post(self, body: dict[str, Any]) -> bool:
        if self._url is None:
            return True  # alerts are off: nothing to announce, now or later
        try:
            response = await asyncio.wait_for(
                self._http.post(self._url, json=body), POST_TIMEOUT_SECONDS
            )
        except (TimeoutError, httpx.HTTPError) as exc:
            logger.warning("alert webhook unreachable (%s); will try again", type(exc).__name__)
            return False
        if response.is_success:
            return True
        logger.warning("alert webhook answered HTTP %d; will try again", response.status_code)
        return False

    async def deliver_pending(self, session_factory: DbSessionFactory, now: datetime) -> int:
        """Post every announcement not yet made; returns how many went out. Each is claimed
        from ``now`` plus the time the round's earlier posts took, so that slow posts do not
        leave a claim already run out."""
        sent = 0
        started = self._clock()
        async with session_factory() as session:
            rows = await pending_announcements(session)
        for row in sorted(rows, key=lambda r: r.raised_at):
            for event, column in (("raised", "raise_sent_at"), ("resolved", "resolve_sent_at")):
                if getattr(row, column) is not None or (
                    event == "resolved" and not row.resolved_at
                ):
                    continue
                at = now + timedelta(seconds=self._clock() - started)
                if await self._claim_and_post(session_factory, row, event, column, at):
                    sent += 1
                else:
                    break  # announce "resolved" only after "raised" went out
        return sent

    async def _claim_and_post(
        self,
        session_factory: DbSessionFactory,
        row: AlertState,
        event: str,
        column: str,
        now: datetime,
    ) -> bool:
        async with session_factory() as session, session.begin():
            claim = await claim_announcement(session, row, column, now)
        if claim is None:
            return False  # another process announces it, or an earlier one of the cause
        posted = await self.post(alert_body(row, event, self._format))
        async with session_factory() as session, session.begin():
            if posted:
                await announced(session, row, column, now, claim)
            else:
                await release_announcement(session, row, claim)
        return posted


async def check_alerts(services: Services, sender: AlertSender, now: datetime | None = None) -> int:
    """One round: record what is raised or resolved now, then announce it."""
    now = now or utcnow()
    async with services.session_factory() as session, session.begin():
        found = await current_causes(session, now, thresholds_of(services.settings))
        await sync_causes(session, found, now)
    return await sender.deliver_pending(services.session_factory, now)


async def run_alert_monitor(services: Services, stop: asyncio.Event) -> None:
    settings = services.settings
    sender = AlertSender(services.http, settings.alert_webhook_url, settings.alert_webhook_format)
    while not stop.is_set():
        try:
            await check_alerts(services, sender)
        except Exception:
            logger.exception("alert check failed; trying again at the next one")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.alert_check_interval_seconds)
