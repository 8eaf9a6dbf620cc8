"""The WebSocket endpoint ``/topics-v1``: feeds commands to a ``StreamSession`` and sends its
replies and the change events it is owed.

Changes may come from another thread (e.g. a test seeding through the Python API while
starlette's TestClient runs the app in its own thread), so the event listener only wakes the
sender, thread-safely; the sender then pulls the events from the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from typing import TYPE_CHECKING

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from ufs_sandboxes.fortnox.events import ChangeEvent
from ufs_sandboxes.fortnox.stream import Message, StreamSession

if TYPE_CHECKING:
    from ufs_sandboxes.fortnox.sandbox import FortnoxSandbox


def add_stream_route(router: APIRouter, sandbox: FortnoxSandbox) -> None:
    @router.websocket("/topics-v1")
    async def topics(websocket: WebSocket) -> None:
        await websocket.accept()
        session = StreamSession(sandbox)
        replies: deque[Message] = deque()
        wake = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop_thread = threading.get_ident()

        def on_event(event: ChangeEvent) -> None:
            if not session.wants(event.tenant_id, event.topic):
                return
            if threading.get_ident() == loop_thread:
                wake.set()
            else:
                loop.call_soon_threadsafe(wake.set)

        async def send_loop() -> None:
            while True:
                await wake.wait()
                wake.clear()
                while replies:
                    await websocket.send_json(replies.popleft())
                for message in list(session.pending_events()):
                    await websocket.send_json(message)

        sandbox.event_log.add_listener(on_event)
        sender = asyncio.create_task(send_loop())
        try:
            while True:
                text = await websocket.receive_text()
                replies.append(session.handle(text))
                wake.set()
        except WebSocketDisconnect:
            pass
        finally:
            sandbox.event_log.remove_listener(on_event)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
