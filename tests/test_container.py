"""The container builds from locked, hash-checked dependencies on a pinned base image, and the
lock files install in a fresh virtual environment."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
BUILD_LOCK = ROOT / "requirements-build.lock"
PINNED = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", re.MULTILINE)


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _locked(path: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in PINNED.findall(path.read_text())}


def test_every_dependency_is_locked_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    locked = _locked(LOCK)
    wanted = {_name(r) for r in project["project"]["dependencies"]}
    assert wanted <= set(locked), wanted - set(locked)
    build = {_name(r) for r in project["build-system"]["requires"]}
    assert build <= set(_locked(BUILD_LOCK))
    for path in (LOCK, BUILD_LOCK):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", path.read_text())
        requirements = [block for block in blocks if PINNED.match(block)]
        assert requirements
        assert all("--hash=sha256:" in block for block in requirements)


def test_the_dockerfile_uses_the_locks_a_pinned_base_and_a_separate_migration() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", dockerfile)
    assert "--require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "--require-hashes --no-deps -r requirements-build.lock" in dockerfile
    assert "--no-build-isolation" in dockerfile
    assert 'VOLUME ["/var/lib/upsales-fortnox"]' in dockerfile
    command = dockerfile.rsplit("CMD", 1)[1]
    assert "serve" in command and "migrate" not in command


@pytest.mark.slow
@pytest.mark.parametrize("lock", [LOCK, BUILD_LOCK], ids=["runtime", "build"])
def test_the_lock_installs_in_a_fresh_venv(tmp_path: Path, lock: Path) -> None:
    """Installs every locked file into a new venv exactly as the Dockerfile does (hashes
    required, no dependency resolution), then asks pip whether every installed package has
    its dependencies: the lock is complete on its own. Slow (pip's cache makes a second run
    fast), so it is marked, but it runs in the suite and CI."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip_install = [python, "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps"]
    installed = subprocess.run(
        [*pip_install, "-r", str(lock)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    checked = subprocess.run(
        [python, "-m", "pip", "check"], capture_output=True, text=True, timeout=120, check=False
    )
    assert checked.returncode == 0, checked.stdout[-2000:]
    wanted = sorted(_locked(lock))
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    present = {_name(line.split("==")[0]) for line in listed.stdout.splitlines() if "==" in line}
    assert set(wanted) <= present, set(wanted) - present
