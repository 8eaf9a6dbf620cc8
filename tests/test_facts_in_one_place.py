"""Every guess about a real API lives in its API's facts modules (``facts.py``,
``money_facts.py``): elsewhere in the product code the word *unverified* appears only next to a
reference to a fact; the facts modules import nothing
from the app (the client packages must not depend on it)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import upsales_fortnox

SOURCE = Path(upsales_fortnox.__file__).parent
INTEGRATIONS = SOURCE / "integrations"
FACTS = set(INTEGRATIONS.glob("*/*facts.py"))
FACT_REFERENCE = re.compile(r"facts\.[A-Z_]+")


def _product_files() -> list[Path]:
    return [path for path in SOURCE.rglob("*.py") if path not in FACTS]


def test_unverified_guesses_live_only_in_the_facts_modules() -> None:
    stray = [
        f"{path.relative_to(SOURCE)}:{number}: {line.strip()}"
        for path in _product_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "unverified" in line.lower() and not FACT_REFERENCE.search(line)
    ]
    assert stray == []


def test_the_facts_modules_import_nothing_from_the_app() -> None:
    for path in FACTS:
        tree = ast.parse(path.read_text())
        imported = [
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        ] + [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ]
        assert not [name for name in imported if name.startswith("upsales_fortnox")], path
        assert "unverified" in path.read_text().lower()
