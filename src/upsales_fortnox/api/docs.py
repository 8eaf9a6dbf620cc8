"""``/docs`` (Swagger UI) and ``/redoc`` served with assets from an installed package.

FastAPI's own pages load Swagger UI and Redoc from a CDN, so they stay blank without internet
(a laptop on a train, a locked-down server). The ``fastapi-offline`` package ships both
bundles; they are served from :data:`ASSETS_PATH` and the pages name no other host.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS_PATH = "/docs-assets"
_ASSETS = Path(str(files("fastapi_offline") / "static"))


def install_offline_docs(app: FastAPI, title: str) -> None:
    """Serve ``/docs`` and ``/redoc`` for ``app`` (created with ``docs_url=None`` and
    ``redoc_url=None``) from the packaged assets."""
    app.mount(ASSETS_PATH, StaticFiles(directory=_ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{ASSETS_PATH}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=favicon,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} - API",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
