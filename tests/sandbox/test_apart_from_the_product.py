"""The API sandboxes are their own distribution (sandboxes/): the service neither imports nor
ships them, and the simulators import nothing from the service (only the demo, which runs the
service against them, does)."""

from __future__ import annotations

import ast
import hashlib
import re
import zipfile
from email.parser import Parser
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder

import ufs_sandboxes
import upsales_fortnox
from ufs_sandboxes import serve
from upsales_fortnox.core import config

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = Path(upsales_fortnox.__file__).parent
SANDBOXES = Path(ufs_sandboxes.__file__).parent
DEMO = SANDBOXES / "demo"
DOTTED = re.compile(r"[a-z_]+(\.[a-z_]+)*").fullmatch


def imported_modules(source: str) -> set[str]:
    """Every module ``source`` imports, statically or by name (``import_module("x.y")``)."""
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED(node.value):
            found.add(node.value)  # a dotted name, perhaps imported dynamically
    return found


def _from(package: str, source: str) -> set[str]:
    return {
        name
        for name in imported_modules(source)
        if name == package or name.startswith(f"{package}.")
    }


def test_the_scan_sees_every_kind_of_import() -> None:
    source = (
        "import ufs_sandboxes.fortnox\n"
        "from ufs_sandboxes.upsales import x\n"
        "importlib.import_module('ufs_sandboxes.demo.run')\n"
        "from . import sibling\n"
    )
    assert _from("ufs_sandboxes", source) == {
        "ufs_sandboxes.fortnox",
        "ufs_sandboxes.upsales",
        "ufs_sandboxes.demo.run",
    }


def test_no_product_module_imports_the_sandboxes() -> None:
    modules = sorted(PRODUCT.rglob("*.py"))
    assert len(modules) > 100
    importing = {
        str(path.relative_to(PRODUCT)): found
        for path in modules
        if (found := _from("ufs_sandboxes", path.read_text()))
    }
    assert importing == {}


def test_the_simulators_import_nothing_from_the_product() -> None:
    modules = [path for path in sorted(SANDBOXES.rglob("*.py")) if DEMO not in path.parents]
    assert len(modules) > 50
    importing = {
        str(path.relative_to(SANDBOXES)): found
        for path in modules
        if (found := _from("upsales_fortnox", path.read_text()))
    }
    assert importing == {}


def _source_digest(text: bytes) -> str | None:
    """A digest of a module's code, or None for one too small to tell apart (empty ``__init__``)."""
    if len(text.strip()) < 200:
        return None
    return hashlib.sha256(text).hexdigest()


def test_the_product_wheel_carries_no_sandbox_code(tmp_path: Path) -> None:
    built = list(WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"]))
    assert len(built) == 1
    sandbox_code = {
        digest for path in SANDBOXES.rglob("*.py") if (digest := _source_digest(path.read_bytes()))
    }
    with zipfile.ZipFile(built[0]) as wheel:
        names = wheel.namelist()
        modules = {name: wheel.read(name) for name in names if name.endswith(".py")}
    assert (
        "upsales_fortnox/cli/commands.py" in names and "upsales_fortnox/_migrations/env.py" in names
    )
    packages = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert packages == {"upsales_fortnox"}
    assert [name for name in names if "sandbox" in name or "demo" in name] == []
    assert [name for name, text in modules.items() if _source_digest(text) in sandbox_code] == []
    assert [name for name, text in modules.items() if _from("ufs_sandboxes", text.decode())] == []
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    with zipfile.ZipFile(built[0]) as wheel:
        requires = Parser().parsestr(wheel.read(metadata).decode()).get_all("Requires-Dist")
    assert requires and not [line for line in requires if "sandboxes" in line]


def test_the_image_copies_no_sandbox_code() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = [
        source
        for line in dockerfile.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    assert "src" in copied and not {".", "sandboxes", "sandboxes/"} & set(copied), copied
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "sandboxes/" in ignored


def test_the_sandboxes_listen_where_the_product_defaults_point() -> None:
    assert (serve.SANDBOX_HOST, serve.FORTNOX_PORT, serve.UPSALES_PORT) == (
        config.SANDBOX_HOST,
        config.SANDBOX_FORTNOX_PORT,
        config.SANDBOX_UPSALES_PORT,
    )
