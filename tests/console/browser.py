"""Browser fixtures: the service served by uvicorn on a loopback port in the test's own event
loop (so it shares the harness's database and sandboxes), and Debian's Chromium driven by
Playwright (never a downloaded browser). Screenshots go to ``test-artifacts/console/``."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
DESKTOP = {"width": 1100, "height": 800}
PHONE = {"width": 375, "height": 740}


@dataclass
class LiveService:
    origin: str
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def serve(app: FastAPI) -> LiveService:
    """Serve ``app`` on a free loopback port until :meth:`LiveService.stop`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return LiveService(f"http://127.0.0.1:{port}", server, task)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert await asyncio.to_thread(CHROMIUM.exists), "scripts/install-browser installs Chromium"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            await launched.close()


async def new_page(browser: Browser, viewport: dict[str, int] = DESKTOP) -> Page:
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    return await context.new_page()


async def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``test-artifacts/console/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def log_in(page: Page, origin: str, token: str) -> None:
    await page.goto(f"{origin}/console/login")
    await page.get_by_label("Operator token").fill(token)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{origin}/console")


Check = Callable[[Page], Any]

#: Every visible form control has a label (or an aria-label); every button has a name.
UNLABELLED_CONTROLS = """() => {
  const controls = [...document.querySelectorAll('input, select, textarea, button')]
    .filter(el => el.type !== 'hidden');
  return controls.filter(el => {
    if (el.tagName === 'BUTTON') return !(el.innerText.trim() || el.getAttribute('aria-label'));
    return !((el.labels && el.labels.length) || el.getAttribute('aria-label'));
  }).map(el => el.outerHTML);
}"""

#: Wider than the viewport means the page scrolls sideways (tables scroll in their own box).
PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
