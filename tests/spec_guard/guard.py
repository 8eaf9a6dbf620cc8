"""The guard's state: checks exchanges, keeps the current test's violations and the totals.

Thread-safe: the service and sandboxes may make their HTTP calls from other threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import httpx

from .check import (
    Violation,
    check_query,
    check_request_body,
    check_response,
    find_operation,
)
from .spec import FortnoxSpec, Operation, segments_of

SANDBOX_HEADER = "x-sandbox"
SANDBOX_VALUE = "fortnox"
OUTSIDE_TESTS = "(outside any test)"


@dataclass
class Group:
    """All violations of one kind on one field of one operation."""

    count: int
    example_test: str
    example_detail: str
    tests: set[str] = field(default_factory=set)


class Guard:
    def __init__(self, spec: FortnoxSpec, *, check_hand_made: bool = False) -> None:
        self.spec = spec
        self.check_hand_made = check_hand_made
        self._lock = threading.Lock()
        self.current_test = OUTSIDE_TESTS
        self._pending: list[Violation] = []
        self._captures: list[list[Violation]] = []
        self.groups: dict[tuple[str, str, str], Group] = {}
        self.operations_seen: set[str] = set()
        self.requests_checked = 0
        self.responses_checked = 0
        self.seconds_spent = 0.0
        self.exempt = False
        self.exempted = 0
        self.failures: list[str] = []

    # --- checking ---------------------------------------------------------------------------

    def check_request(self, request: httpx.Request) -> Operation | None:
        """Check a request if it is Fortnox traffic; returns its operation (None if unknown)."""
        parts = segments_of(request.url.raw_path)
        if not self.spec.is_fortnox_path(parts):
            return None
        started = time.perf_counter()
        operation, found = find_operation(self.spec, request.method, parts)
        if operation is not None:
            found += check_query(operation, request.url.params.multi_items())
            try:
                content = request.content
            except httpx.RequestNotRead:
                content = b""
            found += check_request_body(operation, content, request.headers.get("content-type"))
        self._record(found, operation, request=True, started=started)
        return operation

    def check_response(self, operation: Operation, response: httpx.Response) -> None:
        """Check an answer of the Fortnox sandbox, and hand-made ones if asked to.

        Answers that tests make by hand (respx, mock transports) carry no sandbox marker; their
        violations, when checked, are kinds of their own (``hand-made-…``).
        """
        marked = response.headers.get(SANDBOX_HEADER) == SANDBOX_VALUE
        if not marked and not self.check_hand_made:
            return
        try:
            content = response.content
        except httpx.ResponseNotRead:
            return
        started = time.perf_counter()
        found = check_response(
            operation, response.status_code, content, response.headers.get("content-type")
        )
        if not marked:
            found = [replace(violation, kind=f"hand-made-{violation.kind}") for violation in found]
        self._record(found, None, request=False, started=started)

    def _record(
        self, found: list[Violation], operation: Operation | None, *, request: bool, started: float
    ) -> None:
        with self._lock:
            if request:
                self.requests_checked += 1
            else:
                self.responses_checked += 1
            if self._captures:  # a guard test's own exchanges: theirs alone
                self._captures[-1].extend(found)
            else:
                if operation is not None:
                    self.operations_seen.add(operation.name)
                if self.exempt:
                    self.exempted += len(found)
                else:
                    self._pending.extend(found)
                    for violation in found:
                        self._count(violation)
            self.seconds_spent += time.perf_counter() - started

    def note_failure(self, error: Exception) -> None:
        """The guard itself failed on an exchange: remembered, shown in the summary."""
        with self._lock:
            self.failures.append(f"{self.current_test}: {error!r}")

    def _count(self, violation: Violation) -> None:
        key = (violation.operation, violation.kind, violation.field)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(0, self.current_test, violation.detail)
        group.count += 1
        group.tests.add(self.current_test)

    # --- per test ---------------------------------------------------------------------------

    def begin(self, test_id: str, *, exempt: bool = False) -> None:
        """A test starts; an exempt one (marked ``spec_guard_off``) records nothing."""
        with self._lock:
            self.current_test = test_id
            self.exempt = exempt
            self._pending = []

    def end(self) -> None:
        with self._lock:
            self.current_test = OUTSIDE_TESTS
            self.exempt = False

    def take(self) -> list[Violation]:
        """The current test's violations so far (and forget them)."""
        with self._lock:
            taken, self._pending = self._pending, []
            return taken

    @contextmanager
    def capture(self) -> Iterator[list[Violation]]:
        """Collect the violations of a block into a list instead of the current test's.

        For tests that send off-spec requests on purpose (e.g. to see the sandbox refuse
        them); captured violations neither fail the test nor count in the totals.
        """
        caught: list[Violation] = []
        with self._lock:
            self._captures.append(caught)
        try:
            yield caught
        finally:
            with self._lock:
                self._captures.remove(caught)
