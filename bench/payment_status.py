"""Time from a payment bookkept in Fortnox to its status on the Upsales order, and Fortnox calls per
payment event (both sandboxes in process, events through the service's event endpoint, one
worker). ``--quick``: 20 payments, else 100. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from tests.database import create_schema
from tests.e2e.harness import build_harness, harness_settings
from tests.e2e.inbound_support import EventFeed
from tests.e2e.test_inbound_payments import pay, two_booked_invoices
from tests.e2e.test_payment_status import order_of, payment_fields

from upsales_fortnox.core.db.engine import create_engine


async def run(payments: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        await create_schema(url)
        engine = create_engine(url)
        harness = await build_harness(harness_settings(url), engine)
        try:
            await harness.update_settings(payment_status=True)
            feed = EventFeed(harness)
            _, number = await two_booked_invoices(harness)
            await feed.sync()
            order_id = await order_of(harness, number)
            seconds: list[float] = []
            calls: list[int] = []
            for index in range(payments):
                await pay(harness, number, "1")  # registered and bookkept
                harness.fortnox.reset_counters()
                started = time.perf_counter()
                await feed.sync()
                seconds.append(time.perf_counter() - started)
                calls.append(sum(harness.fortnox.request_counters().by_route.values()))
                paid = payment_fields(harness, order_id)["FORTNOX_PAID_AMOUNT"]
                assert paid == f"{index + 1}.00", paid
        finally:
            await harness.service.aclose()
            await harness.services.http.aclose()
            await engine.dispose()
    return {
        "payments": payments,
        "payment_to_status_mean_ms": round(statistics.mean(seconds) * 1000, 1),
        "payment_to_status_max_ms": round(max(seconds) * 1000, 1),
        "fortnox_calls_per_payment_event": statistics.mean(calls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20 payments instead of 100")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(20 if args.quick else 100))))


if __name__ == "__main__":
    main()
