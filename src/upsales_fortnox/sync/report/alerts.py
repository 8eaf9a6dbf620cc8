"""A reconciliation report raises (or, once clean, resolves) the operators' alert.

One alert per installation for the report (topic ``report``), through the alert store's
hook
(:func:`upsales_fortnox.ops.repository.alert_states.report_reconciliation_differences`), which
deduplicates it and sends it from the alert monitor; the differences are also logged once per
report with a stable code (``reconciliation_differences``) for log-based alerting.
"""

from __future__ import annotations

import logging
import uuid
from typing import Final

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.domain.report_compare import Report
from upsales_fortnox.ops.repository.alert_states import report_reconciliation_differences

logger = logging.getLogger(__name__)

REPORT_TOPIC: Final = "report"


async def report_differences(
    session_factory: DbSessionFactory, installation_id: uuid.UUID, report: Report
) -> None:
    """Raise the alert when ``report`` found differences; resolve it when it is clean."""
    if not report.clean:
        kinds = sorted({difference.kind.value for difference in report.differences})
        logger.warning(
            "reconciliation_differences installation=%s count=%d kinds=%s",
            installation_id,
            len(report.differences),
            ",".join(kinds),
        )
    async with session_factory() as session, session.begin():
        await report_reconciliation_differences(
            session, installation_id, REPORT_TOPIC, len(report.differences)
        )
