"""Signing in and out (app.console.routers.account): the redirect back after login, the login
form's own token, failures that look the same and are rate limited, logout and expiry."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.console import auth as console_auth
from app.console.limiter import LoginLimiter
from app.db import agents as db_agents
from app.db.models import AgentSession
from tests.integration.console_client import (
    PASSWORD,
    client_for,
    create_agent,
    engine_of,
    login_form_token,
    signed_in,
    try_login,
)


def test_login_redirect_comes_back_and_refuses_foreign_targets(app: FastAPI) -> None:
    create_agent(engine_of(app), "alice", PASSWORD)
    client = client_for(app)
    refused = client.get("/console/conversations/abc?x=1")
    assert refused.headers["location"] == "/console/login?next=/console/conversations/abc%3Fx%3D1"
    token = login_form_token(client)
    done = client.post(
        "/console/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": token,
              "next": "/console/conversations/abc?x=1"},
    )  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == "/console/conversations/abc?x=1"
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = client_for(app)
        token = login_form_token(client)
        done = client.post(
            "/console/login",
            data={"username": "alice", "password": PASSWORD, "csrf_token": token,
                  "next": target},
        )  # fmt: skip
        assert done.headers["location"] == "/console", target


def test_login_form_needs_its_token_and_same_origin(app: FastAPI) -> None:
    create_agent(engine_of(app), "alice", PASSWORD)
    client = client_for(app)
    data = {"username": "alice", "password": PASSWORD}
    assert client.post("/console/login", data={**data, "csrf_token": "x"}).status_code == 403
    token = login_form_token(client)
    assert client.post("/console/login", data=data).status_code == 403
    cross = client.post(
        "/console/login",
        data={**data, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403 and "sb_console" not in cross.cookies
    assert client.post("/console/login", data={**data, "csrf_token": token}).status_code == 303


def test_login_failures_look_the_same_and_are_rate_limited(app: FastAPI) -> None:
    create_agent(engine_of(app), "alice", PASSWORD)
    create_agent(engine_of(app), "gone", PASSWORD)
    with Session(engine_of(app)) as session, session.begin():
        gone = db_agents.agent_by_username(session, username="gone")
        assert gone is not None
        db_agents.set_active(session, agent_id=gone.id, active=False)
    client = client_for(app)

    def error(response: httpx.Response) -> str:
        match = re.search(r'<p id="login-error"[^>]*>([^<]*)</p>', response.text)
        assert match, response.text
        return match.group(1)

    wrong = try_login(client, "alice", "wrong password!")
    unknown = try_login(client, "nobody", PASSWORD)
    inactive = try_login(client, "gone", PASSWORD)
    assert wrong.status_code == unknown.status_code == inactive.status_code == 401
    assert (
        error(wrong) == error(unknown) == error(inactive) == "Unknown username or wrong password."
    )
    assert "sb_console" not in wrong.cookies

    for _ in range(3):  # 1 + 3 = 4 failures for alice from this address
        assert try_login(client, "ALICE", "still wrong!").status_code == 401
    assert try_login(client, "alice", "and again wrong").status_code == 401  # the 5th
    limited = try_login(client, "alice", PASSWORD)  # even the right password now waits
    assert limited.status_code == 429
    assert "Too many failed sign-ins" in error(limited) and "minute" in error(limited)
    assert int(limited.headers["retry-after"]) > 200
    # Other accounts are not locked by alice's failures.
    create_agent(engine_of(app), "bob", PASSWORD)
    assert try_login(client, "bob", PASSWORD).status_code == 303


def test_login_limiter_forgets_after_the_window() -> None:
    limiter = LoginLimiter(max_failures=2, window_s=0.2)
    key = ("alice", "1.2.3.4")
    limiter.failed(key)
    assert limiter.retry_after(key) == 0
    limiter.failed(key)
    assert 0 < limiter.retry_after(key) <= 0.2
    import time

    time.sleep(0.25)
    assert limiter.retry_after(key) == 0
    limiter.failed(key)
    limiter.succeeded(key)
    assert limiter.retry_after(key) == 0


def test_logout_revokes_the_session(app: FastAPI) -> None:
    client, csrf = signed_in(app, "alice")
    stolen = client.cookies.get(console_auth.SESSION_COOKIE)
    out = client.post("/console/logout", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    assert 'sb_console=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    replay = client_for(app)
    replay.cookies.set(console_auth.SESSION_COOKIE, stolen or "")
    assert replay.get("/console/api/me").status_code == 401
    assert replay.get("/console").status_code == 303
    with Session(engine_of(app)) as session:
        row = session.scalars(select(AgentSession)).one()
        assert row.revoked_at is not None
        assert row.id != stolen  # only the hash is stored
        assert row.id == db_agents.token_id(stolen or "")


def test_expired_session_is_refused(app: FastAPI) -> None:
    client, _ = signed_in(app, "alice")
    with Session(engine_of(app)) as session, session.begin():
        row = session.scalars(select(AgentSession)).one()
        row.expires_at = row.created_at
    assert client.get("/console/api/me").status_code == 401
