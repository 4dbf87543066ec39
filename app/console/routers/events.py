"""GET /console/events: live updates for the console as server-sent events (the stream
itself is app.console.events)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from app.console.deps import AgentDep
from app.console.events import events_response

router = APIRouter(prefix="/console", tags=["console"])


@router.get("/events")
async def events(request: Request, user: AgentDep) -> StreamingResponse:
    """Live updates for the console (server-sent events; see app.console.events)."""
    return events_response(request, user)
