"""The copilot's draft (GET, any signed-in agent): the fragment the "Draft a reply" button
fetches into the conversation page, and the same draft as JSON.

    GET /console/fragments/conversations/{id}/draft   HTML (app/console/copilot_pages.py)
    GET /console/api/conversations/{id}/draft         JSON (app/console/copilot.CopilotDraft)

The draft is made when asked for, by the chat's own answer pipeline, awaited on the app's
event loop like a chat turn: the pipeline runs its CPU work (triage) on its own thread and
talks to the model server through the client it already holds on this loop. Nothing is
stored: the agent inserts what they want into the reply box and sends it as their reply.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.console.copilot import CopilotDraft, draft_reply
from app.console.copilot_pages import draft_html
from app.console.deps import AgentDep, DrafterDep, HandoffDep
from app.console.html import fragment_response
from app.console.responses import json_response
from app.console.routers.conversations import view_or_error

router = APIRouter(prefix="/console", tags=["console"])

NO_PIPELINE = "The copilot is not available: this app runs without the answer pipeline."


async def make_draft(
    request: Request, conversation_id: str, user: AgentDep, handoff: HandoffDep, drafter: DrafterDep
) -> CopilotDraft | Response:
    view = await view_or_error(request, handoff, user, conversation_id, page=False)
    if isinstance(view, Response):
        return view
    if drafter is None:
        return CopilotDraft(False, NO_PIPELINE)
    return await draft_reply(view, drafter)


@router.get("/fragments/conversations/{conversation_id}/draft")
async def draft_fragment(
    request: Request, conversation_id: str, user: AgentDep, handoff: HandoffDep, drafter: DrafterDep
) -> Response:
    """The draft as the panel shows it: text, cited passages, the insert button."""
    draft = await make_draft(request, conversation_id, user, handoff, drafter)
    return draft if isinstance(draft, Response) else fragment_response(draft_html(draft))


@router.get("/api/conversations/{conversation_id}/draft")
async def draft_json(
    request: Request, conversation_id: str, user: AgentDep, handoff: HandoffDep, drafter: DrafterDep
) -> Response:
    draft = await make_draft(request, conversation_id, user, handoff, drafter)
    return draft if isinstance(draft, Response) else json_response(draft.to_json())
