"""The agent console: who may open what, CSRF, login, roles, the work on a conversation, the
live stream, inert customer text, and the `agents` CLI. Real migrations on SQLite and
PostgreSQL, the real Handoff service, the app built by `create_app` (its heavy lifespan is
skipped: see console_client.console_app)."""

from __future__ import annotations

import io
import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.chat.identity import COOKIE_NAME, chat_secret, new_customer_cookie
from app.console import auth as console_auth
from app.console import events as console_events
from app.db import agents as db_agents
from app.db.models import AgentSession, AuditEntry, Escalation, Message, Note
from app.doors.cli import main as cli_main
from app.ground.config import Settings
from app.handoff.views import ROLES
from app.live.bus import PostgresBus
from tests.integration.conftest import fresh_postgres_database
from tests.integration.console_client import (
    console_app,
    create_agent,
    engine_of,
    escalate,
    live_server,
    login,
    login_form_token,
    seed_conversation,
    try_login,
)

PASSWORD = "correct horse battery"
PUBLIC = {("GET", "/console/login"), ("POST", "/console/login")}


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    if request.param == "postgres":
        with fresh_postgres_database() as url:
            yield url
    else:
        yield sqlite_url


@pytest.fixture
def app(settings: Settings, sqlite_url: str) -> Iterator[FastAPI]:
    """The console on SQLite (most tests; the flows run on both databases)."""
    built = console_app(settings, sqlite_url)
    yield built
    engine_of(built).dispose()


@pytest.fixture
def any_app(settings: Settings, db_url: str) -> Iterator[FastAPI]:
    built = console_app(settings, db_url)
    yield built
    engine_of(built).dispose()


def client_for(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


def signed_in(app: FastAPI, username: str, role: str = "agent") -> tuple[TestClient, str]:
    create_agent(engine_of(app), username, PASSWORD, role=role)
    client = client_for(app)
    return client, login(client, username, PASSWORD)


def protected_routes(app: FastAPI) -> list[tuple[str, str, bool]]:
    """(method, path with sample ids, is an HTML page) of every console and staff route, read
    from the app's OpenAPI description (every route the app serves is in it)."""
    routes = []
    for path, operations in app.openapi()["paths"].items():
        if not (path.startswith("/console") or path in ("/", "/api/search")):
            continue
        for method, operation in operations.items():
            method = method.upper()
            if (method, path) in PUBLIC:
                continue
            content = operation["responses"].get("200", {}).get("content", {})
            page = method == "GET" and "text/html" in content
            sample = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
            routes.append((method, sample, page))
    return routes


def assert_refused(client: TestClient, method: str, path: str, page: bool) -> None:
    params = {"q": "reset"} if path == "/api/search" else None
    response = client.request(method, path, params=params, data={"csrf_token": "x", "text": "x"})
    if page:
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"].startswith("/console/login"), (method, path)
    else:
        assert response.status_code == 401, (method, path, response.status_code)


# --- who may open what -------------------------------------------------------------------


def test_every_console_route_refuses_anonymous_customer_and_stale_cookies(
    app: FastAPI, settings: Settings
) -> None:
    routes = protected_routes(app)
    paths = {path for _, path, _ in routes}
    # The list is read from the router: make sure it is the real one.
    assert {"/console", "/console/events", "/console/agents", "/console/audit", "/"} <= paths
    assert any(p.endswith("/reply") for p in paths) and any(p.endswith("/assign") for p in paths)
    assert ("GET", "/console/events", False) in routes and ("POST", "/console/logout", False) in (
        routes
    )

    anonymous = client_for(app)
    customer = client_for(app)
    customer.cookies.set(COOKIE_NAME, new_customer_cookie(chat_secret(settings)))
    forged = client_for(app)
    forged.cookies.set(console_auth.SESSION_COOKIE, "not-a-session-token")
    for client in (anonymous, customer, forged):
        for method, path, page in routes:
            assert_refused(client, method, path, page)

    # A signed-in agent gets through (the refusals above were about the login, not the route).
    agent, _ = signed_in(app, "alice")
    assert agent.get("/console").status_code == 200
    assert agent.get("/console/api/queue").json() == {"items": []}


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


def test_pages_carry_security_headers_and_session_cookie_flags(app: FastAPI) -> None:
    create_agent(engine_of(app), "alice", PASSWORD)
    client = client_for(app)
    response = try_login(client, "alice", PASSWORD)
    cookie = response.headers["set-cookie"]
    assert "sb_console=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie  # plain http, secure_cookies=auto
    page = client.get("/console")
    csp = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and f'<script nonce="{nonce.group(1)}">' in page.text
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.text.count("<script") == 1


def test_secure_cookie_when_configured(settings: Settings, sqlite_url: str) -> None:
    settings = settings.model_copy(update={"console": settings.console.model_copy(
        update={"secure_cookies": "always"})})  # fmt: skip
    app = console_app(settings, sqlite_url)
    create_agent(engine_of(app), "alice", PASSWORD)
    response = try_login(client_for(app), "alice", PASSWORD)
    assert "Secure" in response.headers["set-cookie"]
    https = TestClient(app, base_url="https://console.example", follow_redirects=False)
    assert "Secure" in try_login(https, "alice", PASSWORD).headers["set-cookie"]


# --- CSRF ----------------------------------------------------------------------------------


def _state(app: FastAPI, conversation_id: str) -> tuple[str, str | None]:
    with Session(engine_of(app)) as session:
        escalation = session.scalars(
            select(Escalation).where(Escalation.conversation_id == conversation_id)
        ).one()
        return escalation.state, escalation.assigned_agent_id


def test_csrf_token_and_origin_are_enforced(app: FastAPI) -> None:
    conversation_id = seed_conversation(engine_of(app))
    escalate(app, conversation_id)
    client, csrf = signed_in(app, "alice")
    other, other_csrf = signed_in(app, "bob")
    claim = f"/console/conversations/{conversation_id}/claim"

    for data, headers in [
        ({}, {}),
        ({"csrf_token": ""}, {}),
        ({"csrf_token": "wrong"}, {}),
        ({"csrf_token": other_csrf}, {}),  # another login's token
        ({}, {"X-CSRF-Token": other_csrf}),
        ({"csrf_token": csrf}, {"Origin": "https://evil.example"}),
        ({"csrf_token": csrf}, {"Origin": "null"}),
        ({"csrf_token": csrf}, {"Sec-Fetch-Site": "cross-site"}),
    ]:
        response = client.post(claim, data=data, headers=headers)
        assert response.status_code == 403, (data, headers)
        assert _state(app, conversation_id) == ("queued", None)
    # Logout is a POST too: a forged one does not sign anybody out.
    assert client.post("/console/logout").status_code == 403
    assert client.get("/console/api/me").status_code == 200

    accepted = client.post(
        claim, data={"csrf_token": csrf}, headers={"Origin": "http://testserver"}
    )
    assert accepted.status_code == 303
    assert _state(app, conversation_id)[0] == "assigned"
    released = client.post(
        f"/console/conversations/{conversation_id}/release",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
    )
    assert released.status_code == 200 and released.json() == {"ok": True}
    del other


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


# --- login -------------------------------------------------------------------------------


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
    limiter = console_auth.LoginLimiter(max_failures=2, window_s=0.2)
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


# --- roles ---------------------------------------------------------------------------------


def test_roles_agent_supervisor_admin(any_app: FastAPI) -> None:
    app = any_app
    conversation_id = seed_conversation(engine_of(app))
    escalate(app, conversation_id)
    agent, agent_csrf = signed_in(app, "alice", "agent")
    supervisor, supervisor_csrf = signed_in(app, "sam", "supervisor")
    admin, admin_csrf = signed_in(app, "ada", "admin")
    with Session(engine_of(app)) as session:
        alice = db_agents.agent_by_username(session, username="alice")
        assert alice is not None
        alice_id = alice.id

    # An agent may not assign, nor open the audit log or agent management.
    assign = f"/console/conversations/{conversation_id}/assign"
    refused = agent.post(assign, data={"csrf_token": agent_csrf, "agent_id": alice_id})
    assert refused.status_code == 403
    assert agent.get("/console/audit").status_code == 403
    assert agent.get("/console/agents").status_code == 403
    assert (
        agent.post(
            "/console/agents",
            data={
                "csrf_token": agent_csrf,
                "username": "x1",
                "password": PASSWORD,
                "role": "admin",
            },
        ).status_code
        == 403
    )
    page = agent.get(f"/console/conversations/{conversation_id}").text
    assert 'id="assign-agent"' not in page and 'id="nav-agents"' not in page

    # A supervisor hands the conversation to alice, and sees the audit log.
    page = supervisor.get(f"/console/conversations/{conversation_id}").text
    assert 'id="assign-agent"' in page and 'value="assign"' in page
    done = supervisor.post(assign, data={"csrf_token": supervisor_csrf, "agent_id": alice_id})
    assert done.status_code == 303
    assert _state(app, conversation_id) == ("assigned", alice_id)
    audit = supervisor.get("/console/audit")
    assert audit.status_code == 200 and 'data-action="assigned"' in audit.text
    assert supervisor.get("/console/agents").status_code == 403

    # An admin adds an agent, who signs in; deactivating them ends that login at once.
    created = admin.post(
        "/console/agents",
        data={"csrf_token": admin_csrf, "username": "New.Agent", "display_name": "Nia",
              "role": "agent", "password": "a new password"},
    )  # fmt: skip
    assert created.status_code == 303
    listing = admin.get("/console/agents", headers={"Accept": "application/json"}).json()
    nia = next(a for a in listing["agents"] if a["username"] == "new.agent")
    assert nia["display_name"] == "Nia" and nia["role"] == "agent" and nia["active"]
    newcomer = client_for(app)
    login(newcomer, "new.agent", "a new password")
    assert newcomer.get("/console").status_code == 200
    weak = admin.post(
        "/console/agents",
        data={"csrf_token": admin_csrf, "username": "weak", "password": "short", "role": "agent"},
    )
    assert weak.status_code == 400 and "at least 10" in weak.text
    duplicate = admin.post(
        "/console/agents",
        data={"csrf_token": admin_csrf, "username": "alice", "password": PASSWORD, "role": "agent"},
    )
    assert duplicate.status_code == 400 and "taken" in duplicate.text

    off = admin.post(
        f"/console/agents/{nia['id']}/active", data={"csrf_token": admin_csrf, "active": "0"}
    )
    assert off.status_code == 303
    assert newcomer.get("/console/api/me").status_code == 401
    assert try_login(client_for(app), "new.agent", "a new password").status_code == 401

    # Role changes apply to the next request of a signed-in agent.
    promoted = admin.post(
        f"/console/agents/{alice_id}/role", data={"csrf_token": admin_csrf, "role": "supervisor"}
    )
    assert promoted.status_code == 303
    assert agent.get("/console/audit").status_code == 200
    # An admin cannot lock themselves out.
    me = admin.get("/console/api/me").json()
    assert (
        admin.post(
            f"/console/agents/{me['agent_id']}/active",
            data={"csrf_token": admin_csrf, "active": "0"},
        ).status_code
        == 400
    )
    actions = [
        e.action
        for e in Session(engine_of(app)).scalars(select(AuditEntry).order_by(AuditEntry.id))
    ]
    for expected in ("login", "agent_created", "agent_deactivated", "agent_role_changed"):
        assert expected in actions


# --- working a conversation -----------------------------------------------------------------


def test_claim_reply_note_resolve(any_app: FastAPI) -> None:
    app = any_app
    conversation_id = seed_conversation(engine_of(app))
    escalate(app, conversation_id, "complaint")
    client, csrf = signed_in(app, "alice", "agent")
    rival, rival_csrf = signed_in(app, "bob", "agent")
    url = f"/console/conversations/{conversation_id}"

    queue = client.get("/console")
    assert f'data-conversation-id="{conversation_id}"' in queue.text
    assert 'class="queue-item"' in queue.text and 'data-state="queued"' in queue.text
    items = client.get("/console/api/queue").json()["items"]
    assert [i["conversation_id"] for i in items] == [conversation_id]
    assert client.get("/console/api/queue", params={"state": "assigned"}).json()["items"] == []
    assert client.get("/console/api/queue", params={"reason": "other"}).json()["items"] == []
    assert len(client.get("/console/api/queue", params={"reason": "complaint"}).json()["items"])

    page = client.get(url).text
    assert 'id="state" data-state="queued"' in page
    assert 'value="claim"' in page and 'id="reply-hint"' in page and 'id="reply-text"' not in page
    assert 'class="citation" data-marker="1"' in page and "AP-1 Guide" in page
    assert 'class="message-sentiment sentiment" data-label="negative"' in page
    assert 'id="summary"' in page and 'class="entity" data-kind="product"' in page

    assert client.post(f"{url}/claim", data={"csrf_token": csrf}).status_code == 303
    # Someone else cannot take it, nor reply, nor resolve it.
    taken = rival.post(
        f"{url}/claim", data={"csrf_token": rival_csrf}, headers={"Accept": "application/json"}
    )
    assert taken.status_code == 409 and taken.json()["error"] == "handoff_conflict"
    intrusion = {"csrf_token": rival_csrf, "text": "hi", "client_id": str(uuid.uuid4())}
    assert rival.post(f"{url}/reply", data=intrusion).status_code == 409
    assert rival.post(f"{url}/resolve", data={"csrf_token": rival_csrf}).status_code == 403

    page = client.get(url).text
    assert 'id="state" data-state="assigned"' in page and 'id="reply-send"' in page
    client_id = re.search(r'name="client_id" value="([^"]+)"', page)
    assert client_id
    form = {"csrf_token": csrf, "text": "Hello, I am looking into it.", "client_id": client_id[1]}
    assert client.post(f"{url}/reply", data=form).status_code == 303
    again = client.post(f"{url}/reply", data=form, headers={"Accept": "application/json"})
    assert again.status_code == 200 and again.json()["message_id"] == client_id[1]
    too_long = client.post(
        f"{url}/reply", data={**form, "text": "x" * 4001, "client_id": ""},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert too_long.status_code == 400 and too_long.json()["error"] == "too_long"
    assert client.post(f"{url}/notes", data={"csrf_token": csrf, "text": "VIP"}).status_code == 303

    view = client.get(f"/console/api/conversations/{conversation_id}").json()
    agent_messages = [m for m in view["messages"] if m["role"] == "agent"]
    assert [m["text"] for m in agent_messages] == ["Hello, I am looking into it."]
    assert [n["text"] for n in view["notes"]] == ["VIP"]
    page = client.get(url).text
    assert 'class="message" data-role="agent"' in page and 'class="note"' in page

    assert client.post(f"{url}/resolve", data={"csrf_token": csrf}).status_code == 303
    assert _state(app, conversation_id)[0] == "resolved"
    page = client.get(url).text
    assert 'id="state" data-state="bot"' in page and 'value="resolve"' not in page
    missing = client.get("/console/conversations/nope")
    assert missing.status_code == 404 and 'id="error-message"' in missing.text
    assert client.get("/console/api/conversations/nope").status_code == 404
    with Session(engine_of(app)) as session:
        count = session.scalar(
            select(func.count()).select_from(Message).where(Message.role == "agent")
        )
        assert count == 1
        assert session.scalar(select(func.count()).select_from(Note)) == 1
    del rival


def test_return_to_bot_and_queue_filters(app: FastAPI) -> None:
    first = seed_conversation(engine_of(app))
    second = seed_conversation(engine_of(app), "the router is down again and nobody helps")
    escalate(app, first, "asked_for_human")
    escalate(app, second, "complaint")
    client, csrf = signed_in(app, "alice")
    client.post(f"/console/conversations/{second}/claim", data={"csrf_token": csrf})

    def ids(**params: str) -> list[str]:
        items = client.get("/console/api/queue", params=params).json()["items"]
        return [i["conversation_id"] for i in items]

    assert set(ids()) == {first, second}
    assert ids(state="queued") == [first] and ids(state="assigned") == [second]
    assert ids(mine="1") == [second] and ids(reason="asked_for_human") == [first]
    page = client.get("/console", params={"state": "assigned"}).text
    assert page.count('class="queue-item"') == 1 and 'id="filter-state"' in page
    fragment = client.get("/console/fragments/queue", params={"state": "queued"})
    assert fragment.status_code == 200 and fragment.text.count('class="queue-item"') == 1
    returned = client.post(f"/console/conversations/{second}/return", data={"csrf_token": csrf})
    assert returned.status_code == 303
    assert ids() == [first]


def test_customer_text_stays_inert(app: FastAPI) -> None:
    hostile = "<img src=x onerror=alert(1)> <script>alert('x')</script> **bold** [a](javascript:x)"
    conversation_id = seed_conversation(engine_of(app), hostile, product="<b>AP</b>")
    escalate(app, conversation_id)
    client, csrf = signed_in(app, "alice")
    client.post(
        f"/console/conversations/{conversation_id}/notes",
        data={"csrf_token": csrf, "text": "<img src=x onerror=alert(2)>"},
    )
    for path in (
        f"/console/conversations/{conversation_id}",
        f"/console/fragments/conversations/{conversation_id}",
        "/console",
        "/console/fragments/queue",
    ):
        body = client.get(path).text
        assert "<img" not in body and "<script>alert" not in body and "<b>AP" not in body, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in body, path
        assert "<strong>" not in body and 'href="javascript' not in body, path  # no markdown
    page = client.get(f"/console/conversations/{conversation_id}").text
    assert "&lt;img src=x onerror=alert(2)&gt;" in page  # the note too

    response = client.get(f"/console/api/conversations/{conversation_id}")
    assert response.headers["content-type"].startswith("application/json")
    assert (
        "<img" not in response.text and "\\u003cimg src=x onerror=alert(1)\\u003e" in response.text
    )
    texts = [m["text"] for m in response.json()["messages"] if m["role"] == "customer"]
    assert texts == [hostile]  # escaped on the wire, exact once parsed
    queue = client.get("/console/api/queue")
    assert "<img" not in queue.text


# --- the staff search page now needs a login ------------------------------------------------


def test_search_page_needs_a_console_login(app: FastAPI) -> None:
    anonymous = client_for(app)
    assert anonymous.get("/").headers["location"] == "/console/login?next=/"
    assert anonymous.get("/api/search", params={"q": "reset"}).status_code == 401
    assert anonymous.get("/healthz").status_code == 200


# --- live updates ---------------------------------------------------------------------------


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
        assert event == {"kind": "note", "conversation_id": conversation_id}

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


# --- the agents CLI -------------------------------------------------------------------------


def test_agents_cli_creates_a_usable_login(
    settings: Settings, sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("SUPPORTBOT_DATABASE_URL", sqlite_url)

    def run(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return cli_main(list(argv))

    assert run("agents", "create", "Root", "--role", "admin", "--name", "Ro Ot",
               "--password-stdin", stdin="a long password\n") == 0  # fmt: skip
    assert "created admin 'root'" in capsys.readouterr().out
    assert run("agents", "create", "root", "--role", "agent", "--password-stdin",
               stdin="another password\n") == 1  # fmt: skip
    assert "taken" in capsys.readouterr().err
    assert run("agents", "create", "shorty", "--role", "agent", "--password-stdin",
               stdin="short\n") == 1  # fmt: skip
    assert "at least 10" in capsys.readouterr().err
    passwords = iter(["first password", "other password"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(passwords))
    assert run("agents", "create", "typo", "--role", "agent") == 2
    assert "differ" in capsys.readouterr().err
    assert run("agents", "create", "sam", "--role", "agent", "--password-stdin",
               stdin="sam's password\n") == 0  # fmt: skip
    assert run("agents", "set-role", "sam", "supervisor") == 0
    assert run("agents", "list") == 0
    listing = capsys.readouterr().out
    assert re.search(r"root\s+admin\s+active\s+Ro Ot", listing)
    assert re.search(r"sam\s+supervisor\s+active", listing)

    app = console_app(settings, sqlite_url)
    client = client_for(app)
    login(client, "root", "a long password")
    me: dict[str, Any] = client.get("/console/api/me").json()
    assert me["role"] == "admin" and me["display_name"] == "Ro Ot"
    assert client.get("/console/agents").status_code == 200

    assert run("agents", "deactivate", "root") == 0
    assert "1 login(s) ended" in capsys.readouterr().out
    assert client.get("/console/api/me").status_code == 401
    assert run("agents", "deactivate", "nobody") == 1
    engine_of(app).dispose()


def test_roles_match_the_handoff_roles() -> None:
    assert db_agents.ROLES == ROLES
