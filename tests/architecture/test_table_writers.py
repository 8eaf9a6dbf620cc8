"""Each table is written by one repository: the statements and ORM calls that change a table's
rows name its model class in one repository module only (models and migrations aside)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import upsales_fortnox
from upsales_fortnox.core.db.base import Base

PRODUCT = Path(upsales_fortnox.__file__).parent
WRITE_CALLS = {"insert", "update", "delete", "pg_insert", "sqlite_insert"}
SESSION_WRITES = {"add", "add_all", "merge", "delete"}


def _table_classes() -> set[str]:
    import upsales_fortnox.models  # noqa: F401  (registers the tables)

    return {mapper.class_.__name__ for mapper in Base.registry.mappers}


def _written_classes(tree: ast.AST, classes: set[str]) -> set[str]:
    """Model classes this module writes: ``insert(X)``/``update(X)``/``delete(X)`` (also of
    ``X.__table__``), and ``session.add(X(...))``/``merge``."""
    written: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else None
        )
        if name is None or not node.args:
            continue
        first = node.args[0]
        if name in WRITE_CALLS:
            target = first.value if isinstance(first, ast.Attribute) else first
            if isinstance(target, ast.Name) and target.id in classes:
                written.add(target.id)
        elif (
            name in SESSION_WRITES
            and isinstance(func, ast.Attribute)
            and (
                isinstance(first, ast.Call)
                and isinstance(first.func, ast.Name)
                and first.func.id in classes
            )
        ):
            written.add(first.func.id)
    return written


def _repository_of(relative: Path) -> str | None:
    """The repository a module belongs to: a ``repository`` module or package, or the job
    queue's store (``jobs/store``); None for any other module."""
    parts = relative.with_suffix("").parts
    if parts[:2] == ("jobs", "store"):
        return "jobs/store"
    for index, part in enumerate(parts):
        if part == "repository":
            return "/".join(parts[: index + 1])
    return None


def test_each_table_is_written_by_one_repository() -> None:
    classes = _table_classes()
    writers: dict[str, set[str]] = defaultdict(set)
    for path in PRODUCT.rglob("*.py"):
        relative = path.relative_to(PRODUCT)
        if relative.parts[0] == "models":
            continue
        for name in _written_classes(ast.parse(path.read_text(encoding="utf-8")), classes):
            writers[name].add(_repository_of(relative) or str(relative))
    not_in_a_repository = {
        name: sorted(where)
        for name, where in writers.items()
        if any(not place.endswith(("repository", "jobs/store")) for place in where)
    }
    by_more_than_one = {name: sorted(where) for name, where in writers.items() if len(where) > 1}
    assert not_in_a_repository == {}
    assert by_more_than_one == {}
