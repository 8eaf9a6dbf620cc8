"""Durable job queue in the database, and the worker that runs the jobs.

Producers call :func:`enqueue` inside their own transaction. A :class:`Worker` leases
installations that have due jobs and runs each installation's jobs one at a time through the
handlers of a :class:`HandlerRegistry`. Operators use :func:`retry_dead_job` and
:func:`release_installation_jobs`.
"""

from upsales_fortnox.jobs.dispatch import Handler, HandlerRegistry, JobContext
from upsales_fortnox.jobs.errors import JobNotDead, JobNotFound, JobOperationError
from upsales_fortnox.jobs.runs import LeaseLost
from upsales_fortnox.jobs.signals import install_stop_signal_handlers
from upsales_fortnox.jobs.store.enqueue import Enqueued, enqueue
from upsales_fortnox.jobs.store.operator_actions import release_installation_jobs, retry_dead_job
from upsales_fortnox.jobs.worker import Worker, default_worker_id

__all__ = [
    "Enqueued",
    "Handler",
    "HandlerRegistry",
    "JobContext",
    "JobNotDead",
    "JobNotFound",
    "JobOperationError",
    "LeaseLost",
    "Worker",
    "default_worker_id",
    "enqueue",
    "install_stop_signal_handlers",
    "release_installation_jobs",
    "retry_dead_job",
]
