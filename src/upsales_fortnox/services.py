"""The long-lived objects one process shares: settings, database, encryption.

Built once at start (or by a test) and handed to the app and the worker, so neither reaches for
globals.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from upsales_fortnox.config import Settings
from upsales_fortnox.db.engine import create_engine, create_session_factory
from upsales_fortnox.logging_setup import register_secret
from upsales_fortnox.security.crypto import SecretBox


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    secret_box: SecretBox

    async def aclose(self) -> None:
        await self.engine.dispose()


def build_services(settings: Settings, engine: AsyncEngine | None = None) -> Services:
    for secret in (settings.secret_key, settings.admin_token, settings.fortnox_client_secret):
        register_secret(secret.get_secret_value())
    engine = engine or create_engine(settings.database_url)
    return Services(
        settings=settings,
        engine=engine,
        session_factory=create_session_factory(engine),
        secret_box=SecretBox(settings.secret_key.get_secret_value()),
    )
