"""The clients of the external systems import nothing from the rest of the application: only
the standard library, third-party packages and ``upsales_fortnox.integrations`` itself."""

from __future__ import annotations

import ast
from pathlib import Path

import upsales_fortnox

PRODUCT = Path(upsales_fortnox.__file__).parent
INTEGRATIONS = PRODUCT / "integrations"
ALLOWED = "upsales_fortnox.integrations"


def _module_of(path: Path) -> str:
    parts = path.relative_to(PRODUCT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(source: str, package: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in ``source`` (a module of ``package``), relative
    ones resolved, those inside functions included."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def _imported(path: Path) -> list[tuple[int, str]]:
    module = _module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return _imports(path.read_text(encoding="utf-8"), package)


def _is_app(module: str) -> bool:
    inside = module == ALLOWED or module.startswith(ALLOWED + ".")
    return (module == "upsales_fortnox" or module.startswith("upsales_fortnox.")) and not inside


def test_the_integrations_import_nothing_of_the_app() -> None:
    files = sorted(INTEGRATIONS.rglob("*.py"))
    assert len(files) > 10, "the integrations package was not found"
    upward = [
        f"{path.relative_to(PRODUCT)}:{line}: {module}"
        for path in files
        for line, module in _imported(path)
        if _is_app(module)
    ]
    assert upward == []


def test_the_check_sees_absolute_relative_and_local_imports() -> None:
    source = (
        "import httpx\n"
        "from . import errors\n"
        "from ..pacing import SlidingWindowLimiter\n"
        "from ...db import models\n"
        "def later() -> None:\n"
        "    import upsales_fortnox.core.config\n"
    )
    imported = [module for _, module in _imports(source, "upsales_fortnox.integrations.fortnox")]

    assert imported == [
        "httpx",
        "upsales_fortnox.integrations.fortnox",
        "upsales_fortnox.integrations.pacing",
        "upsales_fortnox.db",
        "upsales_fortnox.core.config",
    ]
    assert [module for module in imported if _is_app(module)] == [
        "upsales_fortnox.db",
        "upsales_fortnox.core.config",
    ]
    assert _module_of(INTEGRATIONS / "fortnox" / "client.py") == (
        "upsales_fortnox.integrations.fortnox.client"
    )
