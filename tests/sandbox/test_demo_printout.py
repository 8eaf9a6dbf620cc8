"""What the running demo prints to try: every command it hands out works while the demo runs.
It printed ``upsales-fortnox preview $INSTALLATION`` for the demo's SQLite database, which the
README keeps to a database no service runs on (one process paces each Fortnox tenant there),
while the running service answers the same preview over HTTP."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from ufs_sandboxes.demo.console import DemoAccess, DemoPorts, print_try_it
from upsales_fortnox.core.config import Settings


def test_the_preview_it_prints_asks_the_running_service() -> None:
    said: list[str] = []
    seed: Any = SimpleNamespace(
        sales_rep_user_ids=[3, 4],
        account_ids=[1, 2],
        stage_won_id=3,
        product_ids_by_article_no={"UTB-DAG": 3},
    )
    outcome: Any = SimpleNamespace(installation_id=uuid.uuid4())
    print_try_it(said.append, Settings(), DemoPorts(), outcome, seed, DemoAccess("key", "token"))
    assert not any(" preview " in line for line in said), said
    asked = [line for line in said if "/initial-sync/preview" in line]
    assert len(asked) == 1, said
    assert asked[0].strip().startswith("curl -s") and "-X POST" in asked[0]
    assert "http://127.0.0.1:8080/api/installations/$INSTALLATION/" in asked[0]
    assert '"Authorization: Bearer $ADMIN_TOKEN"' in asked[0]
