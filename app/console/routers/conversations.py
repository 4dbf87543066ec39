"""One conversation (/console/conversations/{id}): its page, live region and JSON, and the
work on it: claim, release, resolve, return to the bot, assign (supervisors), reply, notes.

A move answers 303 back to the conversation, or JSON with `Accept: application/json`; a
refused one is the AppError's status (app.ground.errors.HTTP_STATUS) with an error page or
{"error", "message"} (app.console.responses.refusal).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.console import auth
from app.console.auth import ConsoleUser
from app.console.conversation_pages import conversation_page, conversation_region
from app.console.copilot_pages import copilot_panel
from app.console.deps import (
    AgentDep,
    CsrfAgentDep,
    CsrfSupervisorDep,
    EngineDep,
    HandoffDep,
    PageAgentDep,
    SettingsDep,
)
from app.console.html import fragment_response, page_response, security_headers
from app.console.pages import conversation_url
from app.console.placeholders import values_for
from app.console.responses import json_response, refusal
from app.console.routers.macros import load_macros
from app.db import agents as db_agents
from app.ground.errors import AppError
from app.handoff.service import Handoff
from app.handoff.views import ConversationView

router = APIRouter(prefix="/console", tags=["console"])


async def view_or_error(
    request: Request, handoff: Handoff, user: ConsoleUser, conversation_id: str, *, page: bool
) -> ConversationView | Response:
    """The conversation, or the refusal to answer with (404 for an unknown id)."""
    try:
        return await handoff.conversation(conversation_id)
    except AppError as exc:
        return refusal(request, user, exc, page=page)


async def assignable_agents(engine: Engine, user: ConsoleUser) -> list[tuple[str, str]]:
    """(id, "Name (username)") of the agents a supervisor can assign a conversation to; an
    agent, who cannot assign, gets none."""
    if not user.may("supervisor"):
        return []

    def work() -> list[tuple[str, str]]:
        with Session(engine) as session:
            return [
                (a.id, f"{a.display_name} ({a.username})")
                for a in db_agents.list_agents(session, include_inactive=False)
            ]

    return await asyncio.to_thread(work)


@router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
async def conversation(
    request: Request,
    conversation_id: str,
    user: PageAgentDep,
    handoff: HandoffDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    """One conversation: state, brief, transcript with citations, notes, moves, forms."""
    view = await view_or_error(request, handoff, user, conversation_id, page=True)
    if isinstance(view, Response):
        return view
    agents = await assignable_agents(engine, user)
    macros = await asyncio.to_thread(load_macros, engine)
    body = conversation_page(
        user,
        view,
        agents=agents,
        client_id=str(uuid.uuid4()),
        max_reply_chars=settings.console.max_reply_chars,
        copilot=copilot_panel(
            view.conversation_id, macros, values_for(view, user.actor.display_name)
        ),
    )
    return page_response(body, title="Conversation", page="conversation")


@router.get("/fragments/conversations/{conversation_id}")
async def conversation_fragment(
    request: Request, conversation_id: str, user: AgentDep, handoff: HandoffDep, engine: EngineDep
) -> Response:
    view = await view_or_error(request, handoff, user, conversation_id, page=False)
    if isinstance(view, Response):
        return view
    agents = await assignable_agents(engine, user)
    return fragment_response(conversation_region(user, view, agents=agents))


@router.get("/api/conversations/{conversation_id}")
async def conversation_json(
    request: Request, conversation_id: str, user: AgentDep, handoff: HandoffDep
) -> Response:
    view = await view_or_error(request, handoff, user, conversation_id, page=False)
    if isinstance(view, Response):
        return view
    return json_response(view)


async def act(
    request: Request,
    user: ConsoleUser,
    conversation_id: str,
    move: Callable[[], Awaitable[dict[str, Any] | None]],
) -> Response:
    """Run a move; answer 303 back to the conversation, JSON, or the refusal."""
    try:
        result = await move()
    except AppError as exc:
        return refusal(request, user, exc, page=True, back=conversation_url(conversation_id))
    if auth.as_json(request):
        return json_response({"ok": True, **(result or {})})
    return RedirectResponse(conversation_url(conversation_id), 303, headers=security_headers())


def add_simple_move(name: str, doc: str) -> None:
    """POST /conversations/{id}/<name>: a move that needs nothing but the conversation."""

    async def endpoint(
        request: Request, conversation_id: str, user: CsrfAgentDep, handoff: HandoffDep
    ) -> Response:
        method = {
            "claim": handoff.claim,
            "release": handoff.release,
            "resolve": handoff.resolve,
            "return": handoff.return_to_bot,
        }[name]

        async def move() -> None:
            await method(user.actor, conversation_id)

        return await act(request, user, conversation_id, move)

    endpoint.__doc__ = doc
    router.add_api_route(
        f"/conversations/{{conversation_id}}/{name}",
        endpoint,
        methods=["POST"],
        name=f"console_{name}",
    )


add_simple_move("claim", "Take a queued conversation.")
add_simple_move("release", "Put an assigned conversation back in the queue.")
add_simple_move("resolve", "Mark it resolved; the bot answers again.")
add_simple_move("return", "Hand it back to the bot without resolving it.")


@router.post("/conversations/{conversation_id}/assign")
async def assign(
    request: Request,
    conversation_id: str,
    user: CsrfSupervisorDep,
    handoff: HandoffDep,
    agent_id: Annotated[str, Form(max_length=64)],
) -> Response:
    """Give the conversation to an agent (supervisors and admins)."""

    async def move() -> None:
        await handoff.assign(user.actor, conversation_id, agent_id)

    return await act(request, user, conversation_id, move)


@router.post("/conversations/{conversation_id}/reply")
async def reply(
    request: Request,
    conversation_id: str,
    user: CsrfAgentDep,
    handoff: HandoffDep,
    settings: SettingsDep,
    text: Annotated[str, Form()],
    client_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Reply to the customer: stored, then pushed into their chat. The form's client_id
    makes a double submit store one message."""
    max_reply = settings.console.max_reply_chars

    async def move() -> dict[str, Any]:
        if len(text) > max_reply:
            raise AppError("too_long", f"a reply may have at most {max_reply:,} characters")
        message_id = await handoff.reply(
            user.actor, conversation_id, text, client_id or str(uuid.uuid4())
        )
        return {"message_id": message_id}

    return await act(request, user, conversation_id, move)


@router.post("/conversations/{conversation_id}/notes")
async def note(
    request: Request,
    conversation_id: str,
    user: CsrfAgentDep,
    handoff: HandoffDep,
    text: Annotated[str, Form()],
) -> Response:
    """An internal note (never shown to the customer)."""

    async def move() -> None:
        await handoff.add_note(user.actor, conversation_id, text)

    return await act(request, user, conversation_id, move)
