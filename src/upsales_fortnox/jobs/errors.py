"""Why an operator action on a job cannot be done (each with a stable ``code``)."""

from __future__ import annotations


class JobOperationError(Exception):
    """An operator action that cannot be done; ``code`` is stable and machine-readable."""

    code = "job_operation_error"


class JobNotFound(JobOperationError):
    code = "job_not_found"

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} does not exist")
        self.job_id = job_id


class JobNotDead(JobOperationError):
    code = "job_not_dead"

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.status = status
