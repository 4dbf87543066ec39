"""Agent management (/console/agents), for admins: the list, adding an agent, deactivating
or reactivating one (which signs them out everywhere, live streams included), and changing
a role (effective on their next request). Every change is written to the audit log in the
same transaction as the change itself: a change is never left unaudited, nor an audit entry
left for a change that was rolled back.

Refusals here stay on the agents page (#agents-error) or are {"error": message} as JSON.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.console import auth
from app.console.account import check_password_rules
from app.console.account_pages import agents_page
from app.console.auth import ConsoleUser
from app.console.deps import AdminPageDep, CsrfAdminDep, EngineDep, HandoffDep
from app.console.html import page_response, security_headers
from app.console.passwords import hash_password
from app.db import agents as db_agents
from app.db.escalations import audit
from app.db.models import Agent
from app.ground.errors import AppError

router = APIRouter(prefix="/console", tags=["console"])


@router.get("/agents", response_class=HTMLResponse)
async def agents_list(request: Request, user: AdminPageDep, engine: EngineDep) -> Response:
    """Agents and their roles (admins)."""
    return await agents_response(request, user, engine)


async def agents_response(
    request: Request,
    user: ConsoleUser,
    engine: Engine,
    *,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    """The agents page (or JSON), with an error or a notice."""
    agents = await asyncio.to_thread(list_agents, engine)
    if auth.as_json(request):
        if error:
            return JSONResponse({"error": error}, status, headers=security_headers())
        return JSONResponse(
            {"agents": [agent_json(a) for a in agents], "notice": notice},
            headers=security_headers(),
        )
    body = agents_page(user, agents, error=error, notice=notice)
    return page_response(body, title="Agents", page="agents", status_code=status)


async def after_change(
    request: Request, user: ConsoleUser, engine: Engine, notice: str
) -> Response:
    if auth.as_json(request):
        return await agents_response(request, user, engine, notice=notice)
    return RedirectResponse("/console/agents", 303, headers=security_headers())


@router.post("/agents")
async def agents_create(
    request: Request,
    user: CsrfAdminDep,
    engine: EngineDep,
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
            create, engine, user.actor.agent_id, username, display_name, role, password_hash
        )
    except AppError as exc:
        return await agents_response(
            request, user, engine, error=exc.message, status=exc.http_status
        )
    return await after_change(request, user, engine, f"Added {created[1]} ({role}).")


@router.post("/agents/{agent_id}/active")
async def agents_active(
    request: Request,
    agent_id: str,
    user: CsrfAdminDep,
    engine: EngineDep,
    handoff: HandoffDep,
    active: Annotated[str, Form()],
) -> Response:
    """Deactivate (active=0) or reactivate (active=1) an agent (admins). Deactivating
    signs them out everywhere, live streams included."""
    on = active in ("1", "true", "on")
    if agent_id == user.actor.agent_id and not on:
        return await agents_response(
            request, user, engine, error="You cannot deactivate yourself.", status=400
        )
    try:
        revoked = await asyncio.to_thread(set_active, engine, user.actor.agent_id, agent_id, on)
    except AppError as exc:
        return await agents_response(
            request, user, engine, error=exc.message, status=exc.http_status
        )
    for session_id in revoked:
        await handoff.bus.publish({"kind": "session_revoked", "session_id": session_id})
    return await after_change(request, user, engine, "Activated." if on else "Deactivated.")


@router.post("/agents/{agent_id}/role")
async def agents_role(
    request: Request,
    agent_id: str,
    user: CsrfAdminDep,
    engine: EngineDep,
    role: Annotated[str, Form()],
) -> Response:
    """Change an agent's role (admins); takes effect on their next request."""
    if agent_id == user.actor.agent_id and role != "admin":
        return await agents_response(
            request, user, engine, error="You cannot take the admin role from yourself.",
            status=400,
        )  # fmt: skip
    try:
        await asyncio.to_thread(set_role, engine, user.actor.agent_id, agent_id, role)
    except AppError as exc:
        return await agents_response(
            request, user, engine, error=exc.message, status=exc.http_status
        )
    return await after_change(request, user, engine, f"Role changed to {role}.")


def list_agents(engine: Engine) -> list[Agent]:
    with Session(engine, expire_on_commit=False) as session:
        agents = db_agents.list_agents(session)
        session.expunge_all()
        return agents


def create(
    engine: Engine,
    admin_id: str,
    username: str,
    display_name: str,
    role: str,
    password_hash: str,
) -> tuple[str, str]:
    """Add an agent, audited as done by `admin_id`; (id, normalized username). Blocking."""
    with Session(engine) as session, session.begin():
        agent = db_agents.create_agent(
            session,
            username=username,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
        )
        audit(
            session, action="agent_created", agent_id=admin_id,
            detail={"agent_id": agent.id, "username": agent.username, "role": role},
        )  # fmt: skip
        return agent.id, agent.username


def set_active(engine: Engine, admin_id: str, agent_id: str, active: bool) -> list[str]:
    """Deactivate or reactivate, audited; the ids of the sessions that ended. Blocking."""
    with Session(engine) as session, session.begin():
        revoked = db_agents.set_active(session, agent_id=agent_id, active=active)
        audit(
            session, action="agent_activated" if active else "agent_deactivated",
            agent_id=admin_id, detail={"agent_id": agent_id, "sessions_ended": len(revoked)},
        )  # fmt: skip
        return revoked


def set_role(engine: Engine, admin_id: str, agent_id: str, role: str) -> None:
    """Change an agent's role, audited. Blocking."""
    with Session(engine) as session, session.begin():
        db_agents.set_role(session, agent_id=agent_id, role=role)
        audit(
            session, action="agent_role_changed", agent_id=admin_id,
            detail={"agent_id": agent_id, "role": role},
        )  # fmt: skip


def agent_json(agent: Agent) -> dict[str, object]:
    return {
        "id": agent.id,
        "username": agent.username,
        "display_name": agent.display_name,
        "role": agent.role,
        "active": agent.active,
        "created_at": agent.created_at.isoformat(),
    }
