"""Names found ignoring case, å, ä, ö too, whatever the database's own folding: SQLite's
``lower`` folds ASCII alone (its connections carry ``ufs_lower``), and so does PostgreSQL's on a
database whose character type is ``C`` (``initdb --no-locale``, a common choice)."""

from __future__ import annotations

import pytest
from sqlalchemy import collate, literal, null, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import BACKENDS
from upsales_fortnox.core.db.text_match import contains_folded

NAMES = ["Ångström Svets AB", "ÄLVDALENS TRÄ", "Öresunds Måleri", "CAFÉ MÜLLER"]


@pytest.mark.parametrize("name", NAMES)
async def test_a_name_is_found_in_any_case(engine: AsyncEngine, backend: str, name: str) -> None:
    async with engine.connect() as connection:
        for text in (name.upper(), name.lower()):
            found = contains_folded(literal(name), text, backend)
            assert await connection.scalar(select(found)), text


async def test_no_name_matches_nothing(engine: AsyncEngine, backend: str) -> None:
    async with engine.connect() as connection:
        assert await connection.scalar(select(contains_folded(null(), "ab", backend))) is None


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
@pytest.mark.parametrize("name", NAMES)
async def test_a_name_is_found_in_any_case_where_postgresql_folds_ascii_alone(
    pg_engine: AsyncEngine, name: str
) -> None:
    async with pg_engine.connect() as connection:
        for text in (name.upper(), name.lower()):
            found = contains_folded(collate(literal(name), "C"), text, "postgresql")
            assert await connection.scalar(select(found)), text
