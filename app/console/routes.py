"""The agent console at /console: `console_router(settings)`.

Routes (role needed; "any" = any signed-in agent; pages redirect a visitor who is not signed
in to /console/login, everything else answers 401; a missing role is 403; every POST needs
the session's CSRF token, form field `csrf_token` or header `X-CSRF-Token`):

    GET  /console/login, POST /console/login        public (login form with its own token)
    POST /console/logout                            any
    GET  /console                                   any    queue (?state=&reason=&priority=&mine=1)
    GET  /console/fragments/queue                   any    the queue's live region
    GET  /console/api/queue                         any    JSON
    GET  /console/api/me                            any    JSON: who, role, csrf_token
    GET  /console/conversations/{id}                any    transcript, brief, notes, moves
    GET  /console/fragments/conversations/{id}      any    the conversation's live region
    GET  /console/api/conversations/{id}            any    JSON
    POST /console/conversations/{id}/claim|release|resolve|return   any (the service checks
                                                    that the conversation is theirs)
    POST /console/conversations/{id}/reply          any    text, client_id (only the assignee)
    POST /console/conversations/{id}/notes          any    text
    POST /console/conversations/{id}/assign         supervisor  agent_id
    GET  /console/events                            any    server-sent events
    GET  /console/audit                             supervisor
    GET  /console/insights                          supervisor  deflection per day, escalations
                                                    by reason, unanswered questions grouped
                                                    (?days=7|30|90, default 30; else 400)
    GET  /console/api/insights                      supervisor  the same as JSON
    GET  /console/agents, POST /console/agents      admin  list / create
    POST /console/agents/{agent_id}/active|role     admin  active=0|1 / role=...

POSTs answer 303 back to the page, or JSON with `Accept: application/json`; a refused move is
404 (unknown conversation), 403, 409 (state conflict) or 400, with {"error", "message"}.
JSON responses escape <, > and & as \\u003c..., so customer text never appears as markup.

Stable selectors for browser tests:
    login:        form#login-form, #username, #password, #login-submit, #login-error
    every page:   body[data-page=queue|conversation|audit|insights|agents|login],
                  #whoami[data-role], #logout (in form#logout-form), #nav-queue, #nav-audit,
                  #nav-insights, #nav-agents,
                  #live-status ("live" once the event stream is open)
    queue:        #queue-filters with #filter-state, #filter-reason, #filter-priority,
                  #filter-mine, #filter-apply; table#queue > tbody#queue-rows >
                  tr.queue-item[data-conversation-id][data-state][data-priority][data-reason]
                  with a.open-conversation; #queue-empty; #queue-count
    conversation: #live-region[data-conversation-id], #state[data-state] (badge),
                  #priority[data-priority], #transcript > .message[data-role][data-message-id]
                  > .message-text (+ .message-sentiment[data-label] on customer turns,
                  ol.citations > li.citation[data-marker]), #notes > li.note > .note-text,
                  #brief with #summary, #bot-suggested, #entities > li.entity[data-kind],
                  #sentiment, #assigned-to, #reasons;
                  moves: button[name=action][value=claim|release|resolve|return|assign]
                  (ids #action-claim ...), #assign-agent (select, supervisors);
                  reply: form#reply-form, #reply-text, #reply-send (absent until the agent
                  owns the conversation: #reply-hint instead); note: #note-text, #note-add
    audit:        table#audit tr.audit-entry[data-action][data-conversation-id]
    insights:     #insights-period > a.period[data-days] (aria-current="page" on the one
                  shown), #insights-json; #deflection-rate[data-rate], #conversation-count,
                  #escalated-count, svg#deflection-chart (rect.chart-bar[data-key=DAY], rect
                  .chart-none on days without conversations), table#deflection-table
                  tr.deflection-day[data-day][data-conversations][data-escalated];
                  #escalation-total, svg#escalation-chart (rect.chart-bar[data-key=REASON]),
                  table#escalation-reasons tr.escalation-reason[data-reason][data-count];
                  #question-count, ol#question-groups > li.question-group[data-size] with
                  .group-size, .group-representative, ul.group-examples > li.group-example,
                  a.group-open; #question-groups-empty; #grouping-notice (no embedder)
    agents:       table#agents tr.agent-row[data-username][data-role][data-active];
                  form#agent-create with #new-username, #new-display-name, #new-role,
                  #new-password, #agent-create-submit; per row button[name=action]
                  [value=set_role|deactivate|activate]; #agents-error
The CSP forbids eval, so Playwright's `wait_for_function("...")` fails on these pages: use
locators and `expect(...)`, or a context with `bypass_csp=True`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from sqlalchemy.orm import Session

from app.console import auth
from app.console.account import account_router, handoff_of
from app.console.account_pages import error_page
from app.console.auth import (
    ConsoleUser,
    csrf_agent,
    csrf_role,
    current_agent,
    page_agent,
    require_role,
)
from app.console.conversation_pages import conversation_page, conversation_region
from app.console.events import events_response
from app.console.grouping import VectorCache
from app.console.html import fragment_response, page_response, security_headers
from app.console.insights import Insights, gather, period_days
from app.console.insights_pages import insights_page
from app.console.pages import QueueFilters, conversation_url, queue_page, queue_region
from app.db import agents as db_agents
from app.ground.config import Settings
from app.ground.embedding import Embedder
from app.ground.errors import AppError
from app.handoff.views import QueueItem

ERROR_STATUS = {"not_found": 404, "forbidden": 403, "handoff_conflict": 409}


class SafeJSONResponse(Response):
    """JSON in which <, > and & are \\u-escaped: the parsed values are unchanged, but no
    customer text can be read as markup by anything that sniffs or embeds the body."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        text = json.dumps(jsonable_encoder(content), ensure_ascii=False, separators=(",", ":"))
        text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
        return text.encode("utf-8")


def json_response(content: Any, status_code: int = 200) -> SafeJSONResponse:
    return SafeJSONResponse(content, status_code=status_code, headers=security_headers())


def console_router(settings: Settings) -> APIRouter:
    """Every console route, to be included in the app (mounted at /console)."""
    router = APIRouter(prefix="/console", tags=["console"])
    limiter = auth.LoginLimiter()
    router.include_router(account_router(settings, limiter))
    max_reply = settings.console.max_reply_chars

    async def filtered_queue(
        request: Request, user: ConsoleUser, filters: QueueFilters
    ) -> list[QueueItem]:
        return await handoff_of(request).queue(
            state=filters.state,
            reason=filters.reason,
            priority=filters.priority,
            assigned_to=user.actor.agent_id if filters.mine else None,
        )

    @router.get("", response_class=HTMLResponse)
    async def queue(
        request: Request,
        user: Annotated[ConsoleUser, Depends(page_agent)],
        filters: Annotated[QueueFilters, Depends(queue_filters)],
    ) -> Response:
        """The queue, most urgent first, then longest waiting; updates live."""
        items = await filtered_queue(request, user, filters)
        everything = await handoff_of(request).queue()
        reasons = sorted({r for item in everything for r in [item.reason, *item.reasons]})
        body = queue_page(user, items, filters, reasons)
        return page_response(body, title="Queue", page="queue")

    @router.get("/fragments/queue")
    async def queue_fragment(
        request: Request,
        user: Annotated[ConsoleUser, Depends(current_agent)],
        filters: Annotated[QueueFilters, Depends(queue_filters)],
    ) -> Response:
        items = await filtered_queue(request, user, filters)
        return fragment_response(queue_region(items, filters))

    @router.get("/api/queue")
    async def queue_json(
        request: Request,
        user: Annotated[ConsoleUser, Depends(current_agent)],
        filters: Annotated[QueueFilters, Depends(queue_filters)],
    ) -> Response:
        items = await filtered_queue(request, user, filters)
        return json_response({"items": [item.to_json() for item in items]})

    async def view_or_error(
        request: Request, user: ConsoleUser, conversation_id: str, *, page: bool
    ) -> Any:
        try:
            return await handoff_of(request).conversation(conversation_id)
        except AppError as exc:
            return refusal(request, user, exc, page=page)

    @router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
    async def conversation(
        request: Request, conversation_id: str, user: Annotated[ConsoleUser, Depends(page_agent)]
    ) -> Response:
        """One conversation: state, brief, transcript with citations, notes, moves, forms."""
        view = await view_or_error(request, user, conversation_id, page=True)
        if isinstance(view, Response):
            return view
        agents = await assignable_agents(request, user)
        body = conversation_page(
            user, view, agents=agents, client_id=str(uuid.uuid4()), max_reply_chars=max_reply
        )
        return page_response(body, title="Conversation", page="conversation")

    @router.get("/fragments/conversations/{conversation_id}")
    async def conversation_fragment(
        request: Request,
        conversation_id: str,
        user: Annotated[ConsoleUser, Depends(current_agent)],
    ) -> Response:
        view = await view_or_error(request, user, conversation_id, page=False)
        if isinstance(view, Response):
            return view
        agents = await assignable_agents(request, user)
        return fragment_response(conversation_region(user, view, agents=agents))

    @router.get("/api/conversations/{conversation_id}")
    async def conversation_json(
        request: Request,
        conversation_id: str,
        user: Annotated[ConsoleUser, Depends(current_agent)],
    ) -> Response:
        view = await view_or_error(request, user, conversation_id, page=False)
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

    def simple_move(name: str, doc: str) -> None:
        async def endpoint(
            request: Request,
            conversation_id: str,
            user: Annotated[ConsoleUser, Depends(csrf_agent)],
        ) -> Response:
            handoff = handoff_of(request)
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

    simple_move("claim", "Take a queued conversation.")
    simple_move("release", "Put an assigned conversation back in the queue.")
    simple_move("resolve", "Mark it resolved; the bot answers again.")
    simple_move("return", "Hand it back to the bot without resolving it.")

    @router.post("/conversations/{conversation_id}/assign")
    async def assign(
        request: Request,
        conversation_id: str,
        user: Annotated[ConsoleUser, Depends(csrf_role("supervisor"))],
        agent_id: Annotated[str, Form(max_length=64)],
    ) -> Response:
        """Give the conversation to an agent (supervisors and admins)."""

        async def move() -> None:
            await handoff_of(request).assign(user.actor, conversation_id, agent_id)

        return await act(request, user, conversation_id, move)

    @router.post("/conversations/{conversation_id}/reply")
    async def reply(
        request: Request,
        conversation_id: str,
        user: Annotated[ConsoleUser, Depends(csrf_agent)],
        text: Annotated[str, Form()],
        client_id: Annotated[str, Form(max_length=64)] = "",
    ) -> Response:
        """Reply to the customer: stored, then pushed into their chat. The form's client_id
        makes a double submit store one message."""

        async def move() -> dict[str, Any]:
            if len(text) > max_reply:
                raise AppError("too_long", f"a reply may have at most {max_reply:,} characters")
            message_id = await handoff_of(request).reply(
                user.actor, conversation_id, text, client_id or str(uuid.uuid4())
            )
            return {"message_id": message_id}

        return await act(request, user, conversation_id, move)

    @router.post("/conversations/{conversation_id}/notes")
    async def note(
        request: Request,
        conversation_id: str,
        user: Annotated[ConsoleUser, Depends(csrf_agent)],
        text: Annotated[str, Form()],
    ) -> Response:
        """An internal note (never shown to the customer)."""

        async def move() -> None:
            await handoff_of(request).add_note(user.actor, conversation_id, text)

        return await act(request, user, conversation_id, move)

    # Question vectors stay cached for this app's lifetime: a reload embeds only new questions.
    vectors = VectorCache()

    async def insights_or_error(
        request: Request, user: ConsoleUser, days: str, *, page: bool
    ) -> Insights | Response:
        try:
            period = period_days(days)
        except AppError as exc:
            return refusal(request, user, exc, page=page, back="/console/insights")
        embedder: Embedder | None = getattr(request.app.state, "embedder", None)
        engine = auth.engine_of(request)
        return await asyncio.to_thread(
            gather, engine, days=period, embedder=embedder, cache=vectors
        )

    @router.get("/insights", response_class=HTMLResponse)
    async def insights(
        request: Request,
        user: Annotated[ConsoleUser, Depends(require_role("supervisor", page=True))],
        days: str = "",
    ) -> Response:
        """Deflection per day, escalations by reason, and the unanswered questions grouped by
        meaning: the articles worth writing next (supervisors and admins)."""
        report = await insights_or_error(request, user, days, page=True)
        if isinstance(report, Response):
            return report
        return page_response(insights_page(user, report), title="Insights", page="insights")

    @router.get("/api/insights")
    async def insights_json(
        request: Request,
        user: Annotated[ConsoleUser, Depends(require_role("supervisor"))],
        days: str = "",
    ) -> Response:
        """The insights as JSON (the page's figures, and each group's questions whole)."""
        report = await insights_or_error(request, user, days, page=False)
        if isinstance(report, Response):
            return report
        return json_response(report.to_json())

    @router.get("/api/me")
    async def me(user: Annotated[ConsoleUser, Depends(current_agent)]) -> Response:
        """Who is signed in, and the CSRF token for POSTs from scripts and tests."""
        return json_response({**auth.describe(user), "csrf_token": user.csrf_token})

    @router.get("/events")
    async def events(
        request: Request, user: Annotated[ConsoleUser, Depends(current_agent)]
    ) -> StreamingResponse:
        """Live updates for the console (server-sent events; see app.console.events)."""
        return events_response(request, user)

    return router


def queue_filters(
    state: str = "", reason: str = "", priority: str = "", mine: str = ""
) -> QueueFilters:
    """The queue's filters from the query string; unknown values are ignored."""
    return QueueFilters(
        state=state if state in ("queued", "assigned") else None,
        reason=reason.strip()[:40] or None,
        priority=int(priority) if priority in ("1", "2", "3", "4") else None,
        mine=mine in ("1", "true", "on"),
    )


def refusal(
    request: Request,
    user: ConsoleUser | None,
    exc: AppError,
    *,
    page: bool,
    back: str = "/console",
) -> Response:
    """An AppError as the caller wants it: JSON, or an error page with the right status."""
    status = ERROR_STATUS.get(exc.code, 400)
    if auth.as_json(request) or not page:
        return json_response({"error": exc.code, "message": exc.message}, status)
    return page_response(
        error_page(user, exc.message, back=back), title="Error", status_code=status
    )


async def assignable_agents(request: Request, user: ConsoleUser) -> list[tuple[str, str]]:
    """(id, "Name (username)") of the agents a supervisor can assign a conversation to; an
    agent, who cannot assign, gets none."""
    if not user.may("supervisor"):
        return []

    def work() -> list[tuple[str, str]]:
        with Session(auth.engine_of(request)) as session:
            return [
                (a.id, f"{a.display_name} ({a.username})")
                for a in db_agents.list_agents(session, include_inactive=False)
            ]

    return await asyncio.to_thread(work)
