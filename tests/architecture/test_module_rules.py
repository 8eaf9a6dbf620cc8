"""Rules of the layout that import-linter cannot say: where SQLAlchemy may be imported, which
module names may repeat, and how long a product file may grow."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import upsales_fortnox

PRODUCT = Path(upsales_fortnox.__file__).parent
MAX_LINES = 400
#: Names that say a module's role inside its package (polar's layout); any other name is unique.
ROLE_NAMES = {
    "request_rules",
    "__init__",
    "router",
    "schemas",
    "service",
    "repository",
    "errors",
    "models",
    "facts",
    "client",
    "tasks",
}

#: Still to move into repositories; the list only shrinks (a module that no longer offends fails
#: the test until it is taken off).
SQLALCHEMY_OUTSIDE_REPOSITORIES_TO_MOVE: frozenset[str] = frozenset()
REPEATED_NAMES_TO_RENAME: frozenset[str] = frozenset(
    {
        "commands",
    }
)
LONG_FILES_TO_SPLIT: frozenset[str] = frozenset({})


def _modules() -> list[Path]:
    return sorted(PRODUCT.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _is_storage_module(relative: Path) -> bool:
    """Repositories, the ORM models and the database core may speak SQLAlchemy."""
    parts = relative.with_suffix("").parts
    return (
        parts[0] == "models"
        or parts[:2] == ("core", "db")
        or "repository" in parts
        or parts[-1] == "repository"
        or (parts[0] == "jobs" and "store" in parts)
    )


def test_only_repositories_import_sqlalchemy() -> None:
    offenders = [
        str(path.relative_to(PRODUCT))
        for path in _modules()
        if any(name.split(".")[0] == "sqlalchemy" for name in _imports(path))
        and not _is_storage_module(path.relative_to(PRODUCT))
    ]
    assert set(offenders) == SQLALCHEMY_OUTSIDE_REPOSITORIES_TO_MOVE


def test_no_two_modules_share_a_name_unless_it_names_their_role() -> None:
    homes: dict[str, list[str]] = defaultdict(list)
    for path in _modules():
        homes[path.stem].append(str(path.relative_to(PRODUCT)))
    repeated = {
        name: places for name, places in homes.items() if len(places) > 1 and name not in ROLE_NAMES
    }
    assert set(repeated) == REPEATED_NAMES_TO_RENAME, repeated


def test_no_product_file_is_over_400_lines() -> None:
    long_files = {
        str(path.relative_to(PRODUCT)): lines
        for path in _modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert set(long_files) == LONG_FILES_TO_SPLIT, long_files
