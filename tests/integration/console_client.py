"""Helpers for console tests: an app without the heavy lifespan, agents, logins, seeded
conversations, and a live server for the event stream.

    app = console_app(settings, url)            # engine + handoff on app.state, LocalBus
    create_agent(url, "alice", "a password!", role="admin")
    client = TestClient(app)
    csrf = login(client, "alice", "a password!")  # the session's CSRF token
    client.post("/console/conversations/ID/claim", data={"csrf_token": csrf})
    client, csrf = signed_in(app, "bob", "supervisor")   # both steps, PASSWORD as password

The console tests (tests/integration/console/) share these; their fixtures are in its conftest.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.console.passwords import hash_password
from app.db import agents as db_agents
from app.db.engine import make_engine, upgrade
from app.db.models import Citation, Conversation, Customer, Escalation, Message, utc_now
from app.doors.web import create_app
from app.ground.config import Settings
from app.handoff.service import Handoff
from app.live.bus import Bus, LocalBus

PASSWORD = "correct horse battery"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def console_app(settings: Settings, url: str, *, bus: Bus | None = None) -> FastAPI:
    """The real app (no chat) with a migrated database and a Handoff on `app.state`, without
    running the lifespan (which loads the embedding model and the index)."""
    upgrade(url)
    engine = make_engine(url)
    settings = settings.model_copy(update={"database_url": url})
    app = create_app(settings, with_chat=False)
    app.state.engine = engine
    app.state.handoff = Handoff(engine, bus or LocalBus(), settings.handoff, settings.console)
    return app


def engine_of(app: FastAPI) -> Engine:
    engine: Engine = app.state.engine
    return engine


def create_agent(
    engine: Engine, username: str, password: str, *, role: str = "agent", name: str = ""
) -> str:
    """Add an agent straight in the database; returns the id."""
    with Session(engine) as session, session.begin():
        agent = db_agents.create_agent(
            session,
            username=username,
            display_name=name or username.title(),
            role=role,
            password_hash=hash_password(password),
        )
        return agent.id


def login_form_token(client: httpx.Client, next_path: str = "") -> str:
    page = client.get("/console/login" + (f"?next={next_path}" if next_path else ""))
    assert page.status_code == 200, page.text
    match = _CSRF_FIELD.search(page.text)
    assert match, "no csrf_token on the login form"
    return match.group(1)


def try_login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    """One sign-in attempt through the real form (no redirect followed)."""
    token = login_form_token(client)
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def login(client: httpx.Client, username: str, password: str) -> str:
    """Sign in through the form; returns the session's CSRF token for POSTs."""
    response = try_login(client, username, password)
    assert response.status_code == 303, response.text
    assert "sb_console" in response.cookies
    return csrf_of(client)


def csrf_of(client: httpx.Client) -> str:
    me = client.get("/console/api/me")
    assert me.status_code == 200, me.text
    token: str = me.json()["csrf_token"]
    return token


def seed_conversation(
    engine: Engine,
    customer_text: str = "My AP-1 keeps rebooting every ten minutes, please help",
    *,
    product: str | None = "AP-1",
    customer: str | None = None,
    intent: str | None = None,
) -> str:
    """A conversation with a customer turn and a cited bot answer; returns its id."""
    conversation_id = str(uuid.uuid4())
    with Session(engine) as session, session.begin():
        person = Customer(identifier=customer or f"customer:{uuid.uuid4().hex}")
        session.add(person)
        session.flush()
        session.add(
            Conversation(id=conversation_id, customer_id=person.id, product=product, tags=[])
        )
        now = utc_now()
        session.add(
            Message(
                id=str(uuid.uuid4()),
                conversation_id=conversation_id,
                role="customer",
                type="user_message",
                author=person.identifier,
                text=customer_text,
                created_at=now,
                metadata_={
                    "triage": {
                        "sentiment_score": -0.42,
                        "sentiment_label": "negative",
                        "intent": "troubleshooting",
                        "entities": [{"kind": "product", "text": "AP-1", "value": "AP-1"}],
                        "complaint": False,
                        "complaint_score": 0.1,
                        "signals": [],
                        "company_intent": intent,
                    }
                },
            )
        )
        answer_id = str(uuid.uuid4())
        session.add(
            Message(
                id=answer_id,
                conversation_id=conversation_id,
                role="assistant",
                type="assistant_message",
                author="Support assistant",
                text="Try a factory reset: hold the reset button for 10 seconds [1].",
                created_at=now + timedelta(milliseconds=1),
                metadata_={"answer_kind": "answer"},
            )
        )
        session.flush()
        session.add(
            Citation(
                message_id=answer_id,
                marker=1,
                passage_id="p1",
                source="manuals/ap-1.md",
                title="AP-1 Guide",
                heading_path=["AP-1 Guide", "Reset", "Factory reset"],
                url="https://support.example.com/ap-1",
                snippet="Hold the recessed reset button for 10 seconds.",
            )
        )
    return conversation_id


def escalate(app: FastAPI, conversation_id: str, reason: str = "asked_for_human") -> None:
    handoff: Handoff = app.state.handoff
    asyncio.run(handoff.escalate(conversation_id, reason, "test"))


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread; yields the base URL. Instead of the app's own
    lifespan, only its Handoff's bus is started and stopped."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        with_bus_lifespan(app), log_level="warning", lifespan="on", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the live server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def with_bus_lifespan(app: FastAPI) -> Any:
    """`app` as an ASGI app whose lifespan only starts and stops its Handoff's bus (what a
    PostgreSQL bus needs: a listener task on the server's event loop)."""
    bus = app.state.handoff.bus

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await bus.start()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await bus.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return asgi


def client_for(app: FastAPI) -> TestClient:
    """A test client that shows redirects rather than following them."""
    return TestClient(app, follow_redirects=False)


def signed_in(app: FastAPI, username: str, role: str = "agent") -> tuple[TestClient, str]:
    """A new agent, signed in: (their client, the session's CSRF token)."""
    create_agent(engine_of(app), username, PASSWORD, role=role)
    client = client_for(app)
    return client, login(client, username, PASSWORD)


def escalation_state(app: FastAPI, conversation_id: str) -> tuple[str, str | None]:
    """(state, assigned agent id) of the conversation's escalation."""
    with Session(engine_of(app)) as session:
        escalation = session.scalars(
            select(Escalation).where(Escalation.conversation_id == conversation_id)
        ).one()
        return escalation.state, escalation.assigned_agent_id
