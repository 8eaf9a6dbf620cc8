"""The seam where a report with differences raises an alert.

The metrics and alerts work provides the hook; until it is there, differences are logged once
per report with a stable code (``reconciliation_differences``) for log-based alerting.
"""

from __future__ import annotations

import logging
import uuid

from upsales_fortnox.sync.report.compare import Report

logger = logging.getLogger(__name__)


def report_differences(installation_id: uuid.UUID, report: Report) -> None:
    """Tell operators that ``report`` found differences (nothing when it is clean)."""
    if report.clean:
        return
    kinds = sorted({difference.kind.value for difference in report.differences})
    logger.warning(
        "reconciliation_differences installation=%s count=%d kinds=%s",
        installation_id,
        len(report.differences),
        ",".join(kinds),
    )
