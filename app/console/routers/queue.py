"""The queue (/console): escalated conversations, most urgent first, then longest waiting;
as a page, as the page's live region, and as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import HTMLResponse

from app.console.auth import ConsoleUser
from app.console.deps import AgentDep, HandoffDep, PageAgentDep
from app.console.html import fragment_response, page_response
from app.console.pages import QueueFilters, queue_page, queue_region
from app.console.responses import json_response
from app.handoff.service import Handoff
from app.handoff.views import QueueItem

router = APIRouter(prefix="/console", tags=["console"])


def queue_filters(
    state: str = "", reason: str = "", intent: str = "", priority: str = "", mine: str = ""
) -> QueueFilters:
    """The queue's filters from the query string; unknown values are ignored."""
    return QueueFilters(
        state=state if state in ("queued", "assigned") else None,
        reason=reason.strip()[:40] or None,
        intent=intent.strip()[:60] or None,
        priority=int(priority) if priority in ("1", "2", "3", "4") else None,
        mine=mine in ("1", "true", "on"),
    )


FiltersDep = Annotated[QueueFilters, Depends(queue_filters)]


async def filtered_queue(
    handoff: Handoff, user: ConsoleUser, filters: QueueFilters
) -> list[QueueItem]:
    return await handoff.queue(
        state=filters.state,
        reason=filters.reason,
        intent=filters.intent,
        priority=filters.priority,
        assigned_to=user.actor.agent_id if filters.mine else None,
    )


@router.get("", response_class=HTMLResponse)
async def queue(user: PageAgentDep, handoff: HandoffDep, filters: FiltersDep) -> Response:
    """The queue, most urgent first, then longest waiting; updates live."""
    items = await filtered_queue(handoff, user, filters)
    everything = await handoff.queue()
    reasons = sorted({r for item in everything for r in [item.reason, *item.reasons]})
    intents = sorted({item.intent for item in everything if item.intent})
    body = queue_page(user, items, filters, reasons, intents)
    return page_response(body, title="Queue", page="queue")


@router.get("/fragments/queue")
async def queue_fragment(user: AgentDep, handoff: HandoffDep, filters: FiltersDep) -> Response:
    items = await filtered_queue(handoff, user, filters)
    return fragment_response(queue_region(items, filters))


@router.get("/api/queue")
async def queue_json(user: AgentDep, handoff: HandoffDep, filters: FiltersDep) -> Response:
    items = await filtered_queue(handoff, user, filters)
    return json_response({"items": [item.to_json() for item in items]})
