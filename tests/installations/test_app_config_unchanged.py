"""The Upsales app configuration an account admin installs is part of the external contract: a
move of code (or of its texts) must not change it.

`tests/snapshots/upsales_app_config.json` is the configuration as
``upsales-fortnox installations upsales-config`` prints it, for a fixed installation; a
deliberate change rewrites it (``UFS_WRITE_APP_CONFIG_SNAPSHOT=1 pytest
tests/installations/test_app_config_unchanged.py``) in the same commit as the change, so the
difference is reviewed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from upsales_fortnox.installations.app_config import upsales_app_config

SNAPSHOT = Path(__file__).parents[1] / "snapshots" / "upsales_app_config.json"


def _printed() -> str:
    """The configuration, serialised as the CLI prints it (key order kept, text unescaped)."""
    config = upsales_app_config(
        "https://sync.example.com/", "client-1", "inst-1", "https://sync.example.com/login"
    )
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"


def test_the_app_configuration_matches_the_published_snapshot() -> None:
    printed = _printed()
    if os.environ.get("UFS_WRITE_APP_CONFIG_SNAPSHOT") == "1":
        SNAPSHOT.write_text(printed, encoding="utf-8")
    assert printed == SNAPSHOT.read_text(encoding="utf-8")
