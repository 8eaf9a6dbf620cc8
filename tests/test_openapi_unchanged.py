"""The OpenAPI document is part of the external contract: a move of code must not change it.

`tests/snapshots/openapi.json` is the document as published; a deliberate change of the API
rewrites it (``UFS_WRITE_OPENAPI_SNAPSHOT=1 pytest tests/test_openapi_unchanged.py``) in the
same commit as the change, so the difference is reviewed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from upsales_fortnox.main import create_app

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"


def _document() -> str:
    return json.dumps(create_app().openapi(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def test_openapi_document_matches_the_published_snapshot() -> None:
    document = _document()
    if os.environ.get("UFS_WRITE_OPENAPI_SNAPSHOT") == "1":
        SNAPSHOT.write_text(document, encoding="utf-8")
    assert document == SNAPSHOT.read_text(encoding="utf-8")
