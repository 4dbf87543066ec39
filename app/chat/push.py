"""Messages from people (agents, and the handoff's notices) pushed into customers' chats.

The console stores a reply and publishes {"kind": "message", ...} on the bus (app/live); in
every app process this task reads the stored message and emits it to the customer sockets
of that conversation which this process holds. A customer with no open socket sees the
message when they come back: resuming reads the same stored rows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, cast

from chainlit.session import WebsocketSession, ws_sessions_id
from sqlalchemy import Engine

from app.chat.chainlit_dicts import step_dict
from app.db.engine import in_thread_transaction
from app.db.steps import message_by_id
from app.live.bus import Bus, Event

log = logging.getLogger(__name__)

PUSHED_ROLES = ("agent", "system")


def sockets_of(conversation_id: str) -> list[WebsocketSession]:
    """The customer sockets this process holds for a conversation (a customer may have the
    chat open in several tabs)."""
    return [s for s in list(ws_sessions_id.values()) if s.thread_id == conversation_id]


async def push_people_messages(bus: Bus, engine: Engine) -> None:
    """Run until cancelled: forward agent and system messages to the customer's sockets."""
    async with bus.subscribe() as events:
        async for event in events:
            try:
                await _forward(event, engine)
            except Exception:  # one bad event must not stop every later push
                log.exception("could not push %r to the customer", event)


async def _forward(event: Event, engine: Engine) -> None:
    if event.get("kind") != "message" or event.get("role") not in PUSHED_ROLES:
        return
    sockets = sockets_of(str(event["conversation_id"]))
    if not sockets:
        return
    message_id = str(event["message_id"])
    message = await in_thread_transaction(
        engine, lambda session: message_by_id(session=session, message_id=message_id)
    )
    if message is None:
        return
    step = step_dict(message, None)
    for socket in sockets:
        # Chainlit types `emit` as returning None; it returns socket.io's emit coroutine.
        await cast(Awaitable[Any], socket.emit("new_message", step))
