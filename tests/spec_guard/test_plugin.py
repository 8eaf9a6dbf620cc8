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
import pytest
import respx

from tests.spec_guard.guard import Guard
from tests.spec_guard.plugin import DEFAULT_MODE, read_setup
from tests.spec_guard.spec import SPEC_FILE, specs_dir
from ufs_sandboxes.fortnox import FortnoxSandbox

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

    @pytest.fixture
    def seeded():
        fortnox().post("/customers", json={"Customer": {"Name": "A", "Colour": "red"}})

    def test_bad_request_in_a_fixture(seeded):
        pass
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
    assert "3 failed, 2 passed" in out
    assert "FAILED test_guarded.py::test_bad_enum - " in out
    assert "GET /3/offers: enum sortby: 'documentnumber' is not one of" in out
    assert "FAILED test_guarded.py::test_bad_sandbox_answer - " in out
    assert "GET /3/invoices/{DocumentNumber}: response-body Invoice.DocumentNumber" in out
    assert "POST /3/customers: request-body Customer.Colour: field not in the schema" in out
    assert "3 distinct Fortnox operations exercised" in out
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
    assert "5 passed" in out
    assert "3 violations in 3 groups" in out
    assert "GET /3/offers  enum  sortby" in out
    written = json.loads(report.read_text())
    assert written["operations"] == [
        "GET /3/invoices/{DocumentNumber}",
        "GET /3/offers",
        "POST /3/customers",
    ]
    assert {(v["operation"], v["field"], v["count"]) for v in written["violations"]} == {
        ("GET /3/offers", "sortby", 1),
        ("GET /3/invoices/{DocumentNumber}", "Invoice.DocumentNumber", 1),
        ("POST /3/customers", "Customer.Colour", 1),
    }
    by_field = {v["field"]: v for v in written["violations"]}
    assert by_field["sortby"]["example_test"] == "test_guarded.py::test_bad_enum"
    assert by_field["sortby"]["tests"] == ["test_guarded.py::test_bad_enum"]


def test_a_missing_spec_is_skipped_visibly_outside_ci(tmp_path: Path) -> None:
    result = run_guarded(tmp_path, UFS_SPEC_GUARD="enforce", UFS_SPECS_DIR=str(tmp_path / "none"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SKIPPED: Fortnox spec not found at" in result.stdout
    assert str(tmp_path / "none" / SPEC_FILE) in result.stdout


def test_a_missing_spec_fails_the_run_under_ci(tmp_path: Path) -> None:
    environ = {"UFS_SPECS_DIR": str(tmp_path), "CI": "true"}
    with pytest.raises(pytest.UsageError, match="required under CI"):
        read_setup(environ, REPO_ROOT)
    assert read_setup({**environ, "UFS_SPEC_GUARD": "off"}, REPO_ROOT).spec_path is None


def test_a_missing_spec_outside_ci_leaves_the_guard_inactive(tmp_path: Path) -> None:
    setup = read_setup({"UFS_SPECS_DIR": str(tmp_path), "CI": "false"}, REPO_ROOT)
    assert setup.spec_path is None
    assert setup.skipped is not None and str(tmp_path / SPEC_FILE) in setup.skipped


def test_the_spec_is_found_beside_the_repository_or_where_configured(tmp_path: Path) -> None:
    (tmp_path / SPEC_FILE).write_text("{}")
    configured = read_setup({"UFS_SPECS_DIR": str(tmp_path)}, REPO_ROOT)
    assert configured.spec_path == tmp_path / SPEC_FILE
    (tmp_path / "repo").mkdir()
    beside = tmp_path / "shared" / "reference" / "specs"
    beside.mkdir(parents=True)
    (beside / SPEC_FILE).write_text("{}")
    assert read_setup({}, tmp_path / "repo").spec_path == beside / SPEC_FILE


def test_modes(tmp_path: Path) -> None:
    (tmp_path / SPEC_FILE).write_text("{}")
    environ = {"UFS_SPECS_DIR": str(tmp_path)}
    assert read_setup(environ, REPO_ROOT).mode == DEFAULT_MODE
    assert read_setup({**environ, "UFS_SPEC_GUARD": " Enforce "}, REPO_ROOT).mode == "enforce"
    assert read_setup({**environ, "UFS_SPEC_GUARD": "off"}, REPO_ROOT).spec_path is None
    hand_made = read_setup({**environ, "UFS_SPEC_GUARD_HANDMADE": "1"}, REPO_ROOT)
    assert hand_made.hand_made
    with pytest.raises(pytest.UsageError, match="expected one of enforce, report, off"):
        read_setup({**environ, "UFS_SPEC_GUARD": "loud"}, REPO_ROOT)
