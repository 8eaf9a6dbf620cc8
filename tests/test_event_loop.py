"""The commands' event loop is uvloop (installed with uvicorn's standard extras), as under
``serve``."""

from __future__ import annotations

import asyncio

from upsales_fortnox.core import event_loop


def test_a_command_runs_its_coroutine_on_uvloop_and_gets_its_result() -> None:
    async def which_loop() -> str:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__module__

    assert event_loop.run(which_loop()).startswith("uvloop")
