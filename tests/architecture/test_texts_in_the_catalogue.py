"""Texts people read come from the one catalogue (``core/texts``), Swedish first: no product
module or page template outside it writes a Swedish text of its own.

A string literal with å, ä or ö (docstrings aside) is a Swedish text; outside the catalogue it
would reach a sales rep or bookkeeper in one language only, beside the catalogue. Fortnox's own
names of its fields, as Fortnox shows them, may be named in operators' messages.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import upsales_fortnox

PRODUCT = Path(upsales_fortnox.__file__).parent
CATALOGUE = PRODUCT / "core" / "texts"
SWEDISH = re.compile(r"[åäöÅÄÖ]")
#: Names Fortnox itself gives its fields (an operator's message names the field as shown there).
FORTNOX_FIELD_NAMES = ("Vår referens",)


def _docstrings(tree: ast.AST) -> set[int]:
    """The string expressions that stand alone (docstrings, attribute docstrings)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def swedish_literals(source: str) -> list[tuple[int, str]]:
    """The string literals of ``source`` (docstrings aside) that hold a Swedish text."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        text = node.value
        for name in FORTNOX_FIELD_NAMES:
            text = text.replace(name, "")
        if id(node) not in docstrings and SWEDISH.search(text):
            found.append((node.lineno, node.value))
    return sorted(found)


def test_the_check_finds_a_swedish_text_written_in_code() -> None:
    source = (
        '"""Modul för betalningar."""\n'
        'STATUS = {"paid": "Betald", "overdue": "Förfallen"}\n'
        'def note(n):\n    return f"Fakturan {n} är betald"\n'
        "ERROR = \"'Vår referens' names no user\"\n"
    )
    assert [line for line, _ in swedish_literals(source)] == [2, 4]


def test_no_swedish_text_outside_the_catalogue() -> None:
    found = []
    for path in sorted(PRODUCT.rglob("*")):
        if CATALOGUE in path.parents or not path.is_file():
            continue
        relative = path.relative_to(PRODUCT)
        if path.suffix == ".py":
            found += [
                f"{relative}:{line}: {text!r}"
                for line, text in swedish_literals(path.read_text(encoding="utf-8"))
            ]
        elif path.suffix in (".html", ".js"):
            text = path.read_text(encoding="utf-8")
            found += [
                f"{relative}:{number}"
                for number, line in enumerate(text.splitlines(), start=1)
                if SWEDISH.search(line)
            ]
    assert found == [], "Swedish texts belong in upsales_fortnox/core/texts"
