"""Console security: every route refuses the anonymous, customers and stale cookies; security
headers and cookie flags; CSRF tokens and origins; customer text stays inert; the staff search
page needs a console login."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.chat.identity import COOKIE_NAME, chat_secret, new_customer_cookie
from app.console import auth as console_auth
from app.ground.config import Settings
from tests.integration.console_client import (
    PASSWORD,
    client_for,
    console_app,
    create_agent,
    engine_of,
    escalate,
    escalation_state,
    seed_conversation,
    signed_in,
    try_login,
)

PUBLIC = {("GET", "/console/login"), ("POST", "/console/login")}


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
        assert escalation_state(app, conversation_id) == ("queued", None)
    # Logout is a POST too: a forged one does not sign anybody out.
    assert client.post("/console/logout").status_code == 403
    assert client.get("/console/api/me").status_code == 200

    accepted = client.post(
        claim, data={"csrf_token": csrf}, headers={"Origin": "http://testserver"}
    )
    assert accepted.status_code == 303
    assert escalation_state(app, conversation_id)[0] == "assigned"
    released = client.post(
        f"/console/conversations/{conversation_id}/release",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
    )
    assert released.status_code == 200 and released.json() == {"ok": True}
    del other


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


def test_search_page_needs_a_console_login(app: FastAPI) -> None:
    anonymous = client_for(app)
    assert anonymous.get("/").headers["location"] == "/console/login?next=/"
    assert anonymous.get("/api/search", params={"q": "reset"}).status_code == 401
    assert anonymous.get("/healthz").status_code == 200
