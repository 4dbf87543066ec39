"""The live stream (app.console.routers.events): events forwarded, and the stream ended by a
logout (also in another process), a deactivation, or a revocation found at a heartbeat."""

from __future__ import annotations

import json
import threading
from contextlib import ExitStack

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.console import events as console_events
from app.db import agents as db_agents
from app.db.models import AgentSession
from app.ground.config import Settings
from app.live.bus import PostgresBus
from tests.integration.conftest import fresh_postgres_database
from tests.integration.console_client import (
    PASSWORD,
    console_app,
    create_agent,
    engine_of,
    escalate,
    live_server,
    login,
    seed_conversation,
)


def _read_events(response: httpx.Response, into: list[str], done: threading.Event) -> None:
    try:
        for line in response.iter_lines():
            into.append(line)
    except httpx.HTTPError as exc:
        into.append(f"!error {exc!r}")
    finally:
        done.set()


def _wait_for(lines: list[str], needle: str, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not any(needle in line for line in lines):
        assert time.monotonic() < deadline, f"no {needle!r} in {lines}"
        time.sleep(0.02)


def _open_stream(
    stack: ExitStack, base: str, cookies: httpx.Cookies
) -> tuple[list[str], threading.Event]:
    client = stack.enter_context(httpx.Client(base_url=base, cookies=cookies, timeout=20))
    response = stack.enter_context(client.stream("GET", "/console/events"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    lines: list[str] = []
    done = threading.Event()
    threading.Thread(target=_read_events, args=(response, lines, done), daemon=True).start()
    _wait_for(lines, ": connected")
    return lines, done


def test_event_stream_forwards_events_and_ends_on_logout(app: FastAPI) -> None:
    conversation_id = seed_conversation(engine_of(app))
    escalate(app, conversation_id)
    create_agent(engine_of(app), "alice", PASSWORD)
    create_agent(engine_of(app), "ada", PASSWORD, role="admin")
    with live_server(app) as base, ExitStack() as stack:
        alice = stack.enter_context(httpx.Client(base_url=base, timeout=20))
        csrf = login(alice, "alice", PASSWORD)
        second = stack.enter_context(httpx.Client(base_url=base, timeout=20))
        login(second, "alice", PASSWORD)  # another login of alice: a different session
        lines, done = _open_stream(stack, base, alice.cookies)
        other_lines, other_done = _open_stream(stack, base, second.cookies)
        anonymous = stack.enter_context(httpx.Client(base_url=base, timeout=20))
        assert anonymous.get("/console/events").status_code == 401

        noted = alice.post(
            f"/console/conversations/{conversation_id}/notes",
            data={"csrf_token": csrf, "text": "on it"},
        )
        assert noted.status_code == 303
        _wait_for(lines, '"kind":"note"')
        event = json.loads(next(line for line in lines if '"kind":"note"' in line)[6:])
        # Events about a conversation carry its sequence number (listeners catch up by it).
        assert event == {"kind": "note", "conversation_id": conversation_id, "seq": event["seq"]}
        assert isinstance(event["seq"], int) and event["seq"] >= 1

        assert alice.post("/console/logout", data={"csrf_token": csrf}).status_code == 303
        assert done.wait(10), "the stream did not end on logout"
        assert "event: logout" in lines
        assert not other_done.is_set()  # the other login's stream goes on

        # Deactivation ends the remaining stream too.
        ada = stack.enter_context(httpx.Client(base_url=base, timeout=20))
        ada_csrf = login(ada, "ada", PASSWORD)
        me = second.get("/console/api/me").json()
        ada.post(f"/console/agents/{me['agent_id']}/active", data={"csrf_token": ada_csrf,
                                                                 "active": "0"})  # fmt: skip
        assert other_done.wait(10), "the stream did not end on deactivation"
        assert "event: logout" in other_lines


def test_event_stream_rechecks_its_session(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """A revocation nobody announced (another tool, a lost event) still ends the stream."""
    monkeypatch.setattr(console_events, "HEARTBEAT_S", 0.3)
    create_agent(engine_of(app), "alice", PASSWORD)
    with live_server(app) as base, ExitStack() as stack:
        alice = stack.enter_context(httpx.Client(base_url=base, timeout=20))
        login(alice, "alice", PASSWORD)
        lines, done = _open_stream(stack, base, alice.cookies)
        _wait_for(lines, ": heartbeat")
        with Session(engine_of(app)) as session, session.begin():
            for row in session.scalars(select(AgentSession)):
                db_agents.revoke_session(session, session_id=row.id)
        assert done.wait(10) and "event: logout" in lines


def test_logout_ends_streams_in_another_process_postgres(settings: Settings) -> None:
    """Two app processes on one PostgreSQL database: a logout on one ends the stream that
    the same login holds open on the other (the bus carries the revocation)."""
    with fresh_postgres_database() as url, ExitStack() as stack:
        one = console_app(settings, url, bus=PostgresBus(url))
        two = console_app(settings, url, bus=PostgresBus(url))
        create_agent(engine_of(one), "alice", PASSWORD)
        base_one = stack.enter_context(live_server(one))
        base_two = stack.enter_context(live_server(two))
        alice = stack.enter_context(httpx.Client(base_url=base_one, timeout=20))
        csrf = login(alice, "alice", PASSWORD)
        lines, done = _open_stream(stack, base_two, alice.cookies)
        assert alice.post("/console/logout", data={"csrf_token": csrf}).status_code == 303
        assert done.wait(10), "the stream on the other process did not end"
        assert "event: logout" in lines
        engine_of(one).dispose()
        engine_of(two).dispose()
