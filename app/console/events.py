"""GET /console/events: the bus, as server-sent events, for one signed-in agent.

A stream forwards the console's events (escalation, message, note) as `data: {json}`, sends
a comment every HEARTBEAT_S seconds so proxies keep the connection open, and ends with
`event: logout` when its login ends: at once when any process publishes
{"kind": "session_revoked"} for it (logout, deactivation), and otherwise at the next
re-check of the session, which runs with every heartbeat (an expiry, a missed event).
Each heartbeat also marks the login as seen, and a closed stream as gone: who is online is
what a customer handed to people is told about (app/handoff/waiting.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine

from app.console.auth import ConsoleUser, lookup_session
from app.console.html import security_headers
from app.console.state import engine_of, handoff_of
from app.db import agents as db_agents
from app.db.engine import in_thread_transaction
from app.db.models import utc_now

HEARTBEAT_S = 15.0
FORWARDED = frozenset({"escalation", "message", "note"})


def sse(data: dict[str, Any], event: str | None = None) -> str:
    # Escaped `<`: the payload holds ids and kinds only, but never give a sniffer HTML.
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


async def event_stream(request: Request, user: ConsoleUser) -> AsyncIterator[str]:
    handoff = handoff_of(request)
    engine = engine_of(request)
    async with handoff.bus.subscribe() as events:
        await _mark_seen(engine, user.session_id, utc_now())
        yield "retry: 3000\n: connected\n\n"
        loop = asyncio.get_running_loop()
        next_tick = loop.time() + HEARTBEAT_S
        waiting: asyncio.Future[dict[str, Any]] | None = None
        try:
            while True:
                if waiting is None:
                    waiting = asyncio.ensure_future(anext(events))
                # asyncio.wait, not wait_for: a timeout must not cancel the pending read,
                # which would close the subscription's generator.
                done, _ = await asyncio.wait({waiting}, timeout=max(0.0, next_tick - loop.time()))
                if waiting in done:
                    event, waiting = waiting.result(), None
                    kind = event.get("kind")
                    if kind == "session_revoked" and event.get("session_id") == user.session_id:
                        yield sse({"reason": "signed out"}, "logout")
                        return
                    if kind in FORWARDED:
                        yield sse(event)
                    continue
                next_tick = loop.time() + HEARTBEAT_S
                still = await asyncio.to_thread(lookup_session, engine, session_id=user.session_id)
                if still is None:
                    yield sse({"reason": "signed out"}, "logout")
                    return
                await _mark_seen(engine, user.session_id, utc_now())
                yield ": heartbeat\n\n"
        finally:
            if waiting is not None:
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await waiting
            # Closed (tab closed, signed out): no longer someone a waiting customer can count
            # on. Shielded: this runs while the stream is being cancelled.
            with contextlib.suppress(Exception):
                await asyncio.shield(_mark_seen(engine, user.session_id, None))


async def _mark_seen(engine: Engine, session_id: str, at: datetime | None) -> None:
    await in_thread_transaction(
        engine, lambda session: db_agents.mark_seen(session, session_id=session_id, at=at)
    )


def events_response(request: Request, user: ConsoleUser) -> StreamingResponse:
    headers = {**security_headers(), "X-Accel-Buffering": "no"}
    return StreamingResponse(
        event_stream(request, user), media_type="text/event-stream", headers=headers
    )
