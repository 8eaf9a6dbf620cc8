"""Run as a process of its own: counts known work into the metrics, in multiprocess mode.

``python -m tests.ops.metrics_writer N`` records N accepted Upsales webhooks, N done
``upsales.order`` jobs and one Fortnox 429; ``--read`` prints what every process wrote.
"""

from __future__ import annotations

import sys

from upsales_fortnox.ops.metrics import (
    observe_api_response,
    observe_job,
    observe_webhook,
    process_metrics_text,
)


def main(arguments: list[str]) -> None:
    if arguments == ["--read"]:
        sys.stdout.write(process_metrics_text().decode())
        return
    for _ in range(int(arguments[0])):
        observe_webhook("upsales", 202, 0.004)
        observe_job("upsales.order", "done", 0.2)
    observe_api_response("fortnox", 429)


if __name__ == "__main__":
    main(sys.argv[1:])
