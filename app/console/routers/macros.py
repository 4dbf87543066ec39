"""Saved replies (/console/macros), kept by supervisors and admins: the list, adding one,
changing its title or text, deleting it. Agents use them in the conversation view
(app/console/copilot_pages.py) but cannot change them (403).

Every change is written to the audit log in the transaction that makes it. A refusal (an
empty or too long text, a title already taken) stays on the page (#macros-error), or is
{"error", "message"} as JSON.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.console import auth
from app.console.auth import ConsoleUser
from app.console.copilot_pages import macros_page
from app.console.deps import CsrfSupervisorDep, EngineDep, SettingsDep, SupervisorPageDep
from app.console.html import page_response, security_headers
from app.console.responses import json_response
from app.db import macros as db_macros
from app.db.engine import in_thread_transaction
from app.db.escalations import audit
from app.db.models import Macro
from app.ground.errors import AppError

router = APIRouter(prefix="/console", tags=["console"])

TitleForm = Annotated[str, Form(max_length=1000)]
TextForm = Annotated[str, Form()]
Work = Callable[[Session], None]  # a change, made inside the transaction with its audit entry


@router.get("/macros", response_class=HTMLResponse)
async def macros_list(
    request: Request, user: SupervisorPageDep, engine: EngineDep, settings: SettingsDep
) -> Response:
    """The saved replies (supervisors and admins)."""
    return await macros_response(request, user, engine, settings.console.max_reply_chars)


async def macros_response(
    request: Request,
    user: ConsoleUser,
    engine: Engine,
    max_chars: int,
    *,
    error: AppError | None = None,
) -> Response:
    """The page (or JSON), with the refusal that brought the supervisor back, if any."""
    macros = await asyncio.to_thread(load_macros, engine)
    status = error.http_status if error else 200
    if auth.as_json(request):
        if error:
            return json_response({"error": error.code, "message": error.message}, status)
        return json_response({"macros": [macro_json(m) for m in macros]})
    body = macros_page(user, macros, max_chars=max_chars, error=error.message if error else "")
    return page_response(body, title="Saved replies", page="macros", status_code=status)


async def change(
    request: Request, user: ConsoleUser, engine: Engine, max_chars: int, work: Work
) -> Response:
    """Run one audited change; back to the list (303), or the list with the refusal."""
    try:
        await in_thread_transaction(engine, work)  # the change and its audit entry together
    except AppError as exc:
        return await macros_response(request, user, engine, max_chars, error=exc)
    if auth.as_json(request):
        return await macros_response(request, user, engine, max_chars)
    return RedirectResponse("/console/macros", 303, headers=security_headers())


@router.post("/macros")
async def macros_create(
    request: Request,
    user: CsrfSupervisorDep,
    engine: EngineDep,
    settings: SettingsDep,
    title: TitleForm,
    text: TextForm,
) -> Response:
    """Add a saved reply."""
    limit = settings.console.max_reply_chars

    def work(session: Session) -> None:
        macro = db_macros.create_macro(
            session, title=title, text=text, agent_id=user.actor.agent_id, max_chars=limit
        )
        audit(
            session, action="macro_created", agent_id=user.actor.agent_id,
            detail={"macro_id": macro.id, "title": macro.title},
        )  # fmt: skip

    return await change(request, user, engine, limit, work)


@router.post("/macros/{macro_id}")
async def macros_update(
    request: Request,
    macro_id: str,
    user: CsrfSupervisorDep,
    engine: EngineDep,
    settings: SettingsDep,
    title: TitleForm,
    text: TextForm,
) -> Response:
    """Change a saved reply's title and text."""
    limit = settings.console.max_reply_chars

    def work(session: Session) -> None:
        macro = db_macros.update_macro(
            session,
            macro_id=macro_id,
            title=title,
            text=text,
            agent_id=user.actor.agent_id,
            max_chars=limit,
        )
        audit(
            session, action="macro_updated", agent_id=user.actor.agent_id,
            detail={"macro_id": macro.id, "title": macro.title},
        )  # fmt: skip

    return await change(request, user, engine, limit, work)


@router.post("/macros/{macro_id}/delete")
async def macros_delete(
    request: Request,
    macro_id: str,
    user: CsrfSupervisorDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    """Delete a saved reply."""

    def work(session: Session) -> None:
        title = db_macros.delete_macro(session, macro_id=macro_id)
        audit(
            session, action="macro_deleted", agent_id=user.actor.agent_id,
            detail={"macro_id": macro_id, "title": title},
        )  # fmt: skip

    return await change(request, user, engine, settings.console.max_reply_chars, work)


def load_macros(engine: Engine) -> list[Macro]:
    """Every saved reply, by title, detached from its session. Blocking."""
    with Session(engine, expire_on_commit=False) as session:
        macros = db_macros.list_macros(session)
        session.expunge_all()
        return macros


def macro_json(macro: Macro) -> dict[str, object]:
    return {
        "id": macro.id,
        "title": macro.title,
        "text": macro.text,
        "updated_at": macro.updated_at.isoformat(),
    }
