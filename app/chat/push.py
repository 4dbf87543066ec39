"""Messages from people (agents, and the handoff's notices) pushed into customers' chats.

The console stores a reply and publishes {"kind": "message", ...} on the bus (app/live); in
every app process this task reads the stored message and emits it to the customer sockets
of that conversation which this process holds. A customer with no open socket sees the
message when they come back: resuming reads the same stored rows.

Each conversation's messages go out in their order, but conversations do not wait for each
other: under load one reply's database read must not hold up every later reply of every
other customer (the bus already delivers each conversation's events once and in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, cast

from chainlit.session import WebsocketSession, ws_sessions_id
from sqlalchemy import Engine

from app.chat.chainlit_dicts import step_dict
from app.chat.render import rating_actions
from app.db.engine import in_thread_transaction
from app.db.steps import message_by_id
from app.handoff.notices import CSAT_QUESTION
from app.live.bus import Bus, Event

log = logging.getLogger(__name__)

PUSHED_ROLES = ("agent", "system")


def sockets_of(conversation_id: str) -> list[WebsocketSession]:
    """The customer sockets this process holds for a conversation (a customer may have the
    chat open in several tabs)."""
    return [s for s in list(ws_sessions_id.values()) if s.thread_id == conversation_id]


async def push_people_messages(bus: Bus, engine: Engine) -> None:
    """Run until cancelled: forward agent and system messages to the customer's sockets."""
    lanes: dict[str, asyncio.Task[None]] = {}  # conversation -> its latest push

    def forget(task: asyncio.Task[None]) -> None:
        conversation_id = task.get_name()
        if lanes.get(conversation_id) is task:
            del lanes[conversation_id]

    try:
        async with bus.subscribe() as events:
            async for event in events:
                if not _for_customers(event):
                    continue
                conversation_id = str(event["conversation_id"])
                previous = lanes.get(conversation_id)
                task = asyncio.create_task(
                    _push_after(previous, event, engine), name=conversation_id
                )
                lanes[conversation_id] = task
                task.add_done_callback(forget)
    finally:
        for task in list(lanes.values()):
            task.cancel()


def _for_customers(event: Event) -> bool:
    return (
        event.get("kind") == "message"
        and event.get("role") in PUSHED_ROLES
        and bool(sockets_of(str(event.get("conversation_id"))))
    )


async def _push_after(previous: asyncio.Task[None] | None, event: Event, engine: Engine) -> None:
    """Push `event` once the conversation's previous push is done (it logged its own error)."""
    if previous is not None:
        with contextlib.suppress(Exception):
            await previous
    try:
        await _forward(event, engine)
    except Exception:  # one bad event must not stop every later push
        log.exception("could not push %r to the customer", event)


async def _forward(event: Event, engine: Engine) -> None:
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
    asks_rating = bool((message.metadata_ or {}).get(CSAT_QUESTION))
    actions = [a.to_dict() for a in rating_actions(message.id)] if asks_rating else []
    for socket in sockets:
        # Chainlit types `emit` as returning None; it returns socket.io's emit coroutine.
        await cast(Awaitable[Any], socket.emit("new_message", step))
        for action in actions:  # the buttons under the satisfaction question
            await cast(Awaitable[Any], socket.emit("action", action))
