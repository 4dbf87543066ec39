"""Signing in and out, the audit log, and agent management (admins).

Login answers an unknown username exactly as a wrong password, and spends the same scrypt
work on it (a dummy hash), so neither the message nor the timing tells which usernames exist.
Failed attempts are limited per username and address (auth.LoginLimiter).
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.console import auth
from app.console.account_pages import agents_page, audit_page, login_page
from app.console.auth import ConsoleUser, csrf_agent, csrf_role, require_role
from app.console.html import page_response, security_headers
from app.console.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from app.db import agents as db_agents
from app.db.models import Agent
from app.ground.config import Settings
from app.ground.errors import AppError
from app.handoff.service import Handoff
from app.handoff.views import Actor

log = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 10
LOGIN_FAILED = "Unknown username or wrong password."


def handoff_of(request: Request) -> Handoff:
    handoff: Handoff = request.app.state.handoff
    return handoff


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AppError(
            "weak_password", f"a password needs at least {MIN_PASSWORD_CHARS} characters"
        )
    if len(password) > 1024:
        raise AppError("weak_password", "a password may have at most 1,024 characters")


def authenticate(
    engine: Engine, username: str, password: str, lifetime: timedelta
) -> tuple[db_agents.NewSession, Actor] | None:
    """Check the password and start a session; None for any failure. Blocking (scrypt)."""
    with Session(engine) as session, session.begin():
        agent = db_agents.agent_by_username(session, username=username)
        stored = agent.password_hash if agent is not None else dummy_hash()
        ok = verify_password(password, stored)
        if agent is None or not agent.active or not ok:
            return None
        if needs_rehash(agent.password_hash):
            agent.password_hash = hash_password(password)
        new = db_agents.create_session(session, agent_id=agent.id, lifetime=lifetime)
        return new, Actor(agent.id, agent.display_name, agent.role)  # type: ignore[arg-type]


def account_router(settings: Settings, limiter: auth.LoginLimiter) -> APIRouter:
    router = APIRouter()
    lifetime = timedelta(hours=settings.console.session_hours)

    def login_form(
        request: Request, *, next_path: str, status: int = 200, username: str = "", error: str = ""
    ) -> HTMLResponse:
        token = auth.login_form_token(request)
        body = login_page(csrf_token=token, next_path=next_path, username=username, error=error)
        response = page_response(body, title="Sign in", status_code=status, page="login")
        auth.set_login_cookie(response, request, settings, token)
        return response

    @router.get("/login", response_class=HTMLResponse)
    async def login_get(request: Request, next: str = "/console") -> Response:
        """The sign-in form (public). Someone already signed in goes straight on."""
        next_path = next if auth.safe_next(next) else "/console"
        if await auth.optional_agent(request) is not None:
            return RedirectResponse(next_path, 303, headers=security_headers())
        return login_form(request, next_path=next_path)

    @router.post("/login")
    async def login_post(
        request: Request,
        username: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=1024)] = "",
        csrf_token: Annotated[str, Form(max_length=200)] = "",
        next: Annotated[str, Form(max_length=2000)] = "/console",
    ) -> Response:
        """Sign in (public): the form's double-submit token, then the rate limit, then the
        password."""
        next_path = next if auth.safe_next(next) else "/console"
        auth.check_origin(request)
        if not auth.tokens_match(request.cookies.get(auth.LOGIN_COOKIE), csrf_token):
            return login_form(
                request, next_path=next_path, status=403, username=username,
                error="The sign-in form expired. Please try again.",
            )  # fmt: skip
        key = (db_agents.normalize_username(username), auth.client_address(request))
        wait = limiter.retry_after(key)
        if wait > 0:
            minutes = max(1, math.ceil(wait / 60))
            limited = login_form(
                request, next_path=next_path, status=429, username=username,
                error=f"Too many failed sign-ins. Try again in {minutes} minute(s).",
            )  # fmt: skip
            limited.headers["Retry-After"] = str(math.ceil(wait))
            return limited
        result = await asyncio.to_thread(
            authenticate, auth.engine_of(request), username, password, lifetime
        )
        if result is None:
            limiter.failed(key)
            log.warning("console: failed sign-in for %r from %s", key[0], key[1])
            return login_form(
                request, next_path=next_path, status=401, username=username, error=LOGIN_FAILED
            )
        limiter.succeeded(key)
        new, actor = result
        await handoff_of(request).record_audit(
            actor, "login", detail={"address": auth.client_address(request)}
        )
        response = RedirectResponse(next_path, 303, headers=security_headers())
        auth.set_session_cookie(response, request, settings, new.token)
        response.delete_cookie(auth.LOGIN_COOKIE, path=auth.LOGIN_PATH)
        return response

    @router.post("/logout")
    async def logout(
        request: Request, user: Annotated[ConsoleUser, Depends(csrf_agent)]
    ) -> Response:
        """End this login everywhere: the row, the cookie and its live streams."""
        await asyncio.to_thread(_revoke, auth.engine_of(request), user.session_id)
        handoff = handoff_of(request)
        await handoff.bus.publish({"kind": "session_revoked", "session_id": user.session_id})
        await handoff.record_audit(user.actor, "logout")
        if auth.as_json(request):
            response: Response = JSONResponse({"ok": True}, headers=security_headers())
        else:
            response = RedirectResponse(auth.LOGIN_PATH, 303, headers=security_headers())
        auth.clear_session_cookie(response, request, settings)
        return response

    @router.get("/audit", response_class=HTMLResponse)
    async def audit(
        request: Request,
        user: Annotated[ConsoleUser, Depends(require_role("supervisor", page=True))],
        conversation_id: str = "",
        limit: int = 200,
    ) -> Response:
        """The audit log (supervisors and admins)."""
        entries = await handoff_of(request).audit_log(
            limit=max(1, min(limit, 1000)), conversation_id=conversation_id.strip() or None
        )
        return page_response(
            audit_page(user, entries, conversation_id), title="Audit log", page="audit"
        )

    @router.get("/agents", response_class=HTMLResponse)
    async def agents_list(
        request: Request, user: Annotated[ConsoleUser, Depends(require_role("admin", page=True))]
    ) -> Response:
        """Agents and their roles (admins)."""
        return await _agents_response(request, user)

    async def _agents_response(
        request: Request, user: ConsoleUser, *, error: str = "", notice: str = "", status: int = 200
    ) -> Response:
        agents = await asyncio.to_thread(_list_agents, auth.engine_of(request))
        if auth.as_json(request):
            if error:
                return JSONResponse({"error": error}, status, headers=security_headers())
            return JSONResponse(
                {"agents": [_agent_json(a) for a in agents], "notice": notice},
                headers=security_headers(),
            )
        body = agents_page(user, agents, error=error, notice=notice)
        return page_response(body, title="Agents", page="agents", status_code=status)

    @router.post("/agents")
    async def agents_create(
        request: Request,
        user: Annotated[ConsoleUser, Depends(csrf_role("admin"))],
        username: Annotated[str, Form(max_length=64)],
        password: Annotated[str, Form(max_length=1024)],
        role: Annotated[str, Form()] = "agent",
        display_name: Annotated[str, Form(max_length=255)] = "",
    ) -> Response:
        """Add an agent (admins)."""
        try:
            check_password_rules(password)
            password_hash = await asyncio.to_thread(hash_password, password)
            created = await asyncio.to_thread(
                _create, auth.engine_of(request), username, display_name, role, password_hash
            )
        except AppError as exc:
            return await _agents_response(request, user, error=exc.message, status=400)
        await handoff_of(request).record_audit(
            user.actor, "agent_created", detail={"agent_id": created[0], "username": created[1],
                                                 "role": role},
        )  # fmt: skip
        return await _after_change(request, user, f"Added {created[1]} ({role}).")

    @router.post("/agents/{agent_id}/active")
    async def agents_active(
        request: Request,
        agent_id: str,
        user: Annotated[ConsoleUser, Depends(csrf_role("admin"))],
        active: Annotated[str, Form()],
    ) -> Response:
        """Deactivate (active=0) or reactivate (active=1) an agent (admins). Deactivating
        signs them out everywhere, live streams included."""
        on = active in ("1", "true", "on")
        if agent_id == user.actor.agent_id and not on:
            return await _agents_response(
                request, user, error="You cannot deactivate yourself.", status=400
            )
        try:
            revoked = await asyncio.to_thread(_set_active, auth.engine_of(request), agent_id, on)
        except AppError as exc:
            return await _agents_response(request, user, error=exc.message, status=404)
        for session_id in revoked:
            await handoff_of(request).bus.publish(
                {"kind": "session_revoked", "session_id": session_id}
            )
        await handoff_of(request).record_audit(
            user.actor, "agent_activated" if on else "agent_deactivated",
            detail={"agent_id": agent_id, "sessions_ended": len(revoked)},
        )  # fmt: skip
        return await _after_change(request, user, "Activated." if on else "Deactivated.")

    @router.post("/agents/{agent_id}/role")
    async def agents_role(
        request: Request,
        agent_id: str,
        user: Annotated[ConsoleUser, Depends(csrf_role("admin"))],
        role: Annotated[str, Form()],
    ) -> Response:
        """Change an agent's role (admins); takes effect on their next request."""
        if agent_id == user.actor.agent_id and role != "admin":
            return await _agents_response(
                request, user, error="You cannot take the admin role from yourself.", status=400
            )
        try:
            await asyncio.to_thread(_set_role, auth.engine_of(request), agent_id, role)
        except AppError as exc:
            status = 404 if exc.code == "not_found" else 400
            return await _agents_response(request, user, error=exc.message, status=status)
        await handoff_of(request).record_audit(
            user.actor, "agent_role_changed", detail={"agent_id": agent_id, "role": role}
        )
        return await _after_change(request, user, f"Role changed to {role}.")

    async def _after_change(request: Request, user: ConsoleUser, notice: str) -> Response:
        if auth.as_json(request):
            return await _agents_response(request, user, notice=notice)
        return RedirectResponse("/console/agents", 303, headers=security_headers())

    return router


def _revoke(engine: Engine, session_id: str) -> None:
    with Session(engine) as session, session.begin():
        db_agents.revoke_session(session, session_id=session_id)


def _list_agents(engine: Engine) -> list[Agent]:
    with Session(engine, expire_on_commit=False) as session:
        agents = db_agents.list_agents(session)
        session.expunge_all()
        return agents


def _create(
    engine: Engine, username: str, display_name: str, role: str, password_hash: str
) -> tuple[str, str]:
    with Session(engine) as session, session.begin():
        agent = db_agents.create_agent(
            session,
            username=username,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
        )
        return agent.id, agent.username


def _set_active(engine: Engine, agent_id: str, active: bool) -> list[str]:
    with Session(engine) as session, session.begin():
        return db_agents.set_active(session, agent_id=agent_id, active=active)


def _set_role(engine: Engine, agent_id: str, role: str) -> None:
    with Session(engine) as session, session.begin():
        db_agents.set_role(session, agent_id=agent_id, role=role)


def _agent_json(agent: Agent) -> dict[str, object]:
    return {
        "id": agent.id,
        "username": agent.username,
        "display_name": agent.display_name,
        "role": agent.role,
        "active": agent.active,
        "created_at": agent.created_at.isoformat(),
    }
