"""The guard as the suite meets it: wired into httpx, failing the test that broke the spec.

The runs of a small guarded suite in a subprocess take the ``spec_guard`` fixture only so
that they skip, like the rest, where the spec is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import respx

from tests.spec_guard.guard import Guard
from tests.spec_guard.spec import SPEC_FILE, specs_dir
from upsales_fortnox.sandbox.fortnox import FortnoxSandbox

REPO_ROOT = Path(__file__).resolve().parents[2]
API = "https://api.fortnox.test/3"


async def test_respx_routed_requests_are_checked(spec_guard: Guard) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{API}/prices/sublist/A").respond(200, json={"PriceList": []})
        with spec_guard.capture() as caught:
            async with httpx.AsyncClient() as client:
                response = await client.get(f"{API}/prices/sublist/A")
    assert response.status_code == 200
    assert [(v.operation, v.kind) for v in caught] == [("GET /3/prices/sublist/{}", "path")]


def test_sync_clients_are_checked_too(spec_guard: Guard) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with spec_guard.capture() as caught, httpx.Client(transport=transport) as client:
        client.get(f"{API}/offers", params={"sortby": "documentnumber"})
    assert [(v.operation, v.kind, v.field) for v in caught] == [("GET /3/offers", "enum", "sortby")]


async def test_the_fortnox_sandbox_marks_its_answers_and_they_are_checked(
    spec_guard: Guard,
) -> None:
    sandbox = FortnoxSandbox()
    checked_before = spec_guard.responses_checked
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fortnox.test") as client:
        with spec_guard.capture():
            response = await client.get("/3/customers", headers={"Accept": "application/json"})
    assert response.status_code in (401, 403)
    assert response.headers["x-sandbox"] == "fortnox"
    assert spec_guard.responses_checked == checked_before + 1


GUARDED_TESTS = """
    import httpx
    import pytest

    def fortnox(body=None, headers=None):
        answer = lambda request: httpx.Response(200, json=body or {}, headers=headers)
        return httpx.Client(transport=httpx.MockTransport(answer), base_url="https://x.test/3")

    INVOICE = {"Invoice": {"CustomerNumber": "1", "DocumentNumber": 5}}

    def test_bad_enum():
        fortnox().get("/offers", params={"sortby": "documentnumber"})

    def test_on_spec():
        fortnox().get("/offers", params={"sortby": "id", "limit": 500})

    @pytest.mark.spec_guard_off("probes how off-spec requests are refused")
    def test_exempt():
        fortnox().get("/nothing/here")

    def test_bad_sandbox_answer():
        fortnox(INVOICE, {"X-Sandbox": "fortnox"}).get("/invoices/5")
"""


PYTEST_OPTIONS = ("-q", "-rfE", "-p", "no:cacheprovider", "-p", "no:asyncio")


def run_guarded(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ("tests.spec_guard.plugin",)\n')
    (tmp_path / "test_guarded.py").write_text(textwrap.dedent(GUARDED_TESTS))
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "CI": "",
        "UFS_SPEC_GUARD_FILE": "",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", *PYTEST_OPTIONS],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def spec_dir() -> str:
    return str(specs_dir(REPO_ROOT))


def test_enforcing_fails_the_test_that_broke_the_spec(spec_guard: Guard, tmp_path: Path) -> None:
    result = run_guarded(tmp_path, UFS_SPEC_GUARD="enforce", UFS_SPECS_DIR=spec_dir())
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "2 failed, 2 passed" in out
    assert "FAILED test_guarded.py::test_bad_enum - " in out
    assert "GET /3/offers: enum sortby: 'documentnumber' is not one of" in out
    assert "FAILED test_guarded.py::test_bad_sandbox_answer - " in out
    assert "GET /3/invoices/{DocumentNumber}: response-body Invoice.DocumentNumber" in out
    assert "2 distinct Fortnox operations exercised" in out
    assert "1 more in tests marked spec_guard_off" in out


def test_report_mode_counts_violations_without_failing(spec_guard: Guard, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = run_guarded(
        tmp_path,
        UFS_SPEC_GUARD="report",
        UFS_SPECS_DIR=spec_dir(),
        UFS_SPEC_GUARD_FILE=str(report),
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "4 passed" in out
    assert "2 violations in 2 groups" in out
    assert "GET /3/offers  enum  sortby" in out
    written = json.loads(report.read_text())
    assert written["operations"] == ["GET /3/invoices/{DocumentNumber}", "GET /3/offers"]
    assert {(v["operation"], v["field"], v["count"]) for v in written["violations"]} == {
        ("GET /3/offers", "sortby", 1),
        ("GET /3/invoices/{DocumentNumber}", "Invoice.DocumentNumber", 1),
    }
    assert written["violations"][0]["example_test"].startswith("test_guarded.py::")


def test_a_missing_spec_is_skipped_visibly_outside_ci(tmp_path: Path) -> None:
    result = run_guarded(tmp_path, UFS_SPEC_GUARD="enforce", UFS_SPECS_DIR=str(tmp_path / "none"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SKIPPED: Fortnox spec not found at" in result.stdout
    assert str(tmp_path / "none" / SPEC_FILE) in result.stdout


def test_a_missing_spec_fails_the_run_under_ci(tmp_path: Path) -> None:
    result = run_guarded(
        tmp_path, UFS_SPEC_GUARD="report", UFS_SPECS_DIR=str(tmp_path / "none"), CI="true"
    )
    assert result.returncode != 0
    assert "it is required under CI" in result.stdout + result.stderr
    assert "passed" not in result.stdout


def test_an_unknown_mode_stops_the_run(tmp_path: Path) -> None:
    result = run_guarded(tmp_path, UFS_SPEC_GUARD="loud")
    assert result.returncode != 0
    assert "expected one of enforce, report, off" in result.stdout + result.stderr
