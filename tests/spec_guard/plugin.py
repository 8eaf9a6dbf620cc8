"""The pytest plugin: every Fortnox exchange of every test is checked against Fortnox's spec.

Modes (``UFS_SPEC_GUARD``):
- ``enforce``: a violation fails the test that caused it, naming the operation and field;
- ``report``: nothing fails; every violation is counted, grouped by operation and field, and
  shown in the terminal summary (and written to ``$UFS_SPEC_GUARD_FILE`` if set);
- ``off``: no checks.
Answers that tests make by hand (respx) are checked only with ``UFS_SPEC_GUARD_HANDMADE=1``.
The spec is read from ``$UFS_SPECS_DIR`` or ``../shared/reference/specs/`` beside the
repository. Under ``CI=true`` a missing spec fails the run; elsewhere the guard is skipped and
the summary says why. A test that sends off-spec requests on purpose is marked
``@pytest.mark.spec_guard_off(reason)`` or wraps them in ``spec_guard.capture()``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from . import hook
from .check import Violation
from .guard import Group, Guard
from .spec import SPEC_FILE, SPECS_DIR_ENV, FortnoxSpec, specs_dir

MODE_ENV = "UFS_SPEC_GUARD"
REPORT_FILE_ENV = "UFS_SPEC_GUARD_FILE"
HAND_MADE_ENV = "UFS_SPEC_GUARD_HANDMADE"
MODES = ("enforce", "report", "off")
# Every run enforces the spec; `report` and `off` are for investigating a change.
DEFAULT_MODE = "enforce"

_GUARD_KEY = pytest.StashKey[Guard]()


class SpecViolationError(AssertionError):
    """A Fortnox exchange that the spec does not allow."""


@dataclass(frozen=True)
class Setup:
    """What the environment asks of the guard; ``spec_path`` is None when it stays inactive."""

    mode: str
    spec_path: Path | None
    skipped: str | None = None
    hand_made: bool = False


_SETUP_KEY = pytest.StashKey[Setup]()


def read_setup(environ: Mapping[str, str], repo_root: Path) -> Setup:
    """The guard's mode and spec; raises ``pytest.UsageError`` where the run must not go on."""
    mode = environ.get(MODE_ENV, DEFAULT_MODE).strip().lower() or DEFAULT_MODE
    if mode not in MODES:
        raise pytest.UsageError(f"{MODE_ENV}={mode!r}: expected one of {', '.join(MODES)}")
    if mode == "off":
        return Setup(mode, None, skipped=f"{MODE_ENV}=off")
    spec_path = specs_dir(repo_root, environ) / SPEC_FILE
    if not spec_path.is_file():
        reason = f"Fortnox spec not found at {spec_path} (set {SPECS_DIR_ENV})"
        if environ.get("CI", "").lower() == "true":
            raise pytest.UsageError(f"spec guard: {reason}; it is required under CI")
        return Setup(mode, None, skipped=reason)
    hand_made = environ.get(HAND_MADE_ENV, "").lower() in ("1", "true", "yes")
    return Setup(mode, spec_path, hand_made=hand_made)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "spec_guard_off(reason): this test sends off-spec Fortnox requests on purpose"
    )
    setup = read_setup(os.environ, config.rootpath)
    config.stash[_SETUP_KEY] = setup
    if setup.spec_path is not None:
        guard = Guard(FortnoxSpec.load(setup.spec_path), check_hand_made=setup.hand_made)
        config.stash[_GUARD_KEY] = guard
        hook.install(guard)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _GUARD_KEY in config.stash:
        hook.uninstall()


def _guard(config: pytest.Config) -> Guard | None:
    return config.stash.get(_GUARD_KEY, None)


def _enforcing(config: pytest.Config) -> bool:
    return config.stash[_SETUP_KEY].mode == "enforce"


@pytest.fixture
def spec_guard(request: pytest.FixtureRequest) -> Guard:
    """The session's guard (skips the test where the spec is absent)."""
    guard = _guard(request.config)
    if guard is None:
        pytest.skip(request.config.stash[_SETUP_KEY].skipped or "spec guard inactive")
    return guard


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[Any]:
    guard = _guard(item.config)
    if guard is not None:
        guard.begin(item.nodeid, exempt=item.get_closest_marker("spec_guard_off") is not None)
    try:
        return (yield)
    finally:
        if guard is not None:
            guard.end()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None]:
    yield
    _fail_on_violations(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None]:
    yield
    _fail_on_violations(item)


def _fail_on_violations(item: pytest.Item) -> None:
    guard = _guard(item.config)
    if guard is None:
        return
    found = guard.take()
    if found and _enforcing(item.config):
        raise SpecViolationError(_describe(found))


def _describe(found: list[Violation]) -> str:
    unique = list(dict.fromkeys(str(violation) for violation in found))
    lines = [f"{len(found)} Fortnox exchange(s) break the spec:", *unique[:20]]
    if len(unique) > 20:
        lines.append(f"... and {len(unique) - 20} more")
    return "\n  ".join(lines)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    setup = config.stash.get(_SETUP_KEY, None)
    if setup is None:
        return
    write = terminalreporter.write_line
    terminalreporter.section("Fortnox spec guard")
    guard = _guard(config)
    if guard is None:
        write(f"SKIPPED: {setup.skipped}", yellow=True)
        return
    total = sum(group.count for group in guard.groups.values())
    write(
        f"mode {setup.mode}: {guard.requests_checked} Fortnox requests and "
        f"{guard.responses_checked} sandbox answers checked in {guard.seconds_spent:.2f} s; "
        f"{len(guard.operations_seen)} distinct Fortnox operations exercised"
    )
    write(
        f"{total} violations in {len(guard.groups)} groups (operation, kind, field)"
        + (f"; {guard.exempted} more in tests marked spec_guard_off" if guard.exempted else ""),
        red=bool(total),
        green=not total,
    )
    lines = _group_lines(guard) if config.option.verbose > 0 else _operation_lines(guard)
    for line in lines:
        write(line)
    for failure in guard.failures[:10]:
        write(f"guard error: {failure}", red=True)
    target = os.environ.get(REPORT_FILE_ENV)
    if target:
        Path(target).write_text(json.dumps(_report(guard, setup.mode), indent=2) + "\n")
        write(f"report written to {target}")


def _operation_lines(guard: Guard) -> list[str]:
    """One line per operation and kind (run with -v, or see the report file, for every field)."""
    rollup: dict[tuple[str, str], list[tuple[str, Group]]] = {}
    for (operation, kind, field), group in guard.groups.items():
        rollup.setdefault((operation, kind), []).append((field, group))
    lines = []
    for (operation, kind), fields in sorted(rollup.items()):
        count = sum(group.count for _, group in fields)
        field, example = max(fields, key=lambda item: item[1].count)
        more = f" (+{len(fields) - 1} more fields)" if len(fields) > 1 else ""
        lines.append(
            f"{count:6d}  {operation}  {kind}  {field or '-'}{more}: {example.example_detail}"
            f"  [e.g. {example.example_test}]"
        )
    if lines:
        lines.append("(-v lists every field; UFS_SPEC_GUARD_FILE=path writes them all as JSON)")
    return lines


def _group_lines(guard: Guard) -> list[str]:
    ordered = sorted(guard.groups.items(), key=lambda item: (item[0][0], -item[1].count))
    return [
        f"{group.count:6d}  {operation}  {kind}  {field or '-'}: {group.example_detail}"
        f"  [e.g. {group.example_test}]"
        for (operation, kind, field), group in ordered
    ]


def _report(guard: Guard, mode: str) -> dict[str, Any]:
    return {
        "mode": mode,
        "requests_checked": guard.requests_checked,
        "responses_checked": guard.responses_checked,
        "seconds_spent": round(guard.seconds_spent, 3),
        "operations": sorted(guard.operations_seen),
        "exempted": guard.exempted,
        "violations": [
            {
                "operation": operation,
                "kind": kind,
                "field": field,
                "count": group.count,
                "example_test": group.example_test,
                "example_detail": group.example_detail,
                "tests": sorted(group.tests),
            }
            for (operation, kind, field), group in sorted(guard.groups.items())
        ],
        "guard_errors": guard.failures,
    }
