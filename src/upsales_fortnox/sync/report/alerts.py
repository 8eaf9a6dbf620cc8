"""A reconciliation report raises (or, once clean, resolves) the operators' alert.

One alert per installation and period (topic ``report:<from>..<to>``), through the alert
store's hook
(:func:`upsales_fortnox.ops.repository.alert_states.report_reconciliation_differences`), which
deduplicates it and sends it from the alert monitor: a clean report resolves the alert of its
own period only, never one raised for another period that still differs. The differences are
also logged once per report with a stable code (``reconciliation_differences``) for log-based
alerting.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Final

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.domain.report_compare import Report
from upsales_fortnox.ops.repository.alert_states import report_reconciliation_differences

logger = logging.getLogger(__name__)

REPORT_TOPIC: Final = "report"
"""The topic of every report's alert before alerts named their period."""


def report_topic(start: dt.date, end: dt.date) -> str:
    """The alert topic of the period's report (``report:2026-01-01..2026-01-31``)."""
    return f"{REPORT_TOPIC}:{start.isoformat()}..{end.isoformat()}"


async def report_differences(
    session_factory: DbSessionFactory,
    installation_id: uuid.UUID,
    report: Report,
    start: dt.date,
    end: dt.date,
) -> None:
    """Raise the period's alert when ``report`` found differences; resolve it when clean."""
    if not report.clean:
        kinds = sorted({difference.kind.value for difference in report.differences})
        logger.warning(
            "reconciliation_differences installation=%s period=%s..%s count=%d kinds=%s",
            installation_id,
            start.isoformat(),
            end.isoformat(),
            len(report.differences),
            ",".join(kinds),
        )
    async with session_factory() as session, session.begin():
        await report_reconciliation_differences(
            session, installation_id, report_topic(start, end), len(report.differences)
        )
        if report.clean:  # an alert raised before alerts named their period: resolved as then
            await report_reconciliation_differences(session, installation_id, REPORT_TOPIC, 0)
