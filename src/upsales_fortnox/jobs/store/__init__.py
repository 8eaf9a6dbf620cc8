"""The job queue's repository: every statement on ``sync_jobs``, ``job_attempts`` and
``installation_leases`` (queueing, the worker's leases and state changes, operator actions,
the operator API's reads).

The rest of the queue (the worker, the handlers' context, the operator API) speaks to the
database only through these modules."""
