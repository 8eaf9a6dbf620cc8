"""FastAPI dependencies: the shared services, a database session, operator authentication."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.core.crypto import constant_time_equals
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.services import Services

_bearer = HTTPBearer(auto_error=False, description="The operator token (ADMIN_TOKEN).")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[DbSession]:
    """A session for one request. Handlers commit explicitly before they answer."""
    async with services.session_factory() as session:
        yield session


SessionDep = Annotated[DbSession, Depends(get_session)]


def require_admin(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    expected = services.settings.admin_token.get_secret_value()
    if credentials is None or not constant_time_equals(credentials.credentials, expected):
        raise ApiError(
            401,
            "unauthorized",
            "a valid operator bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


AdminDep = Depends(require_admin)
