"""``/docs`` and ``/redoc`` work without internet: every asset they load comes from the service."""

from __future__ import annotations

import re

import httpx
import pytest

URL_ATTRIBUTE = re.compile(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""")
ANY_HOST = re.compile(r"(?:https?:)?//[\w.-]+")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_page_names_no_external_host_and_its_assets_are_served(
    api_client: httpx.AsyncClient, page: str
) -> None:
    response = await api_client.get(page)
    assert response.status_code == 200
    html = response.text
    assert not ANY_HOST.search(html), ANY_HOST.findall(html)

    referenced = URL_ATTRIBUTE.findall(html)
    scripts = [url for url in referenced if url.endswith(".js")]
    assert scripts, html  # the page does load its UI bundle
    for url in referenced:
        assert url.startswith("/"), url
        asset = await api_client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
