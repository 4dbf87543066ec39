"""GET /console/audit: the audit log of logins, moves and agent changes (supervisors)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from app.console.account_pages import audit_page
from app.console.deps import HandoffDep, SupervisorPageDep
from app.console.html import page_response

router = APIRouter(prefix="/console", tags=["console"])


@router.get("/audit", response_class=HTMLResponse)
async def audit(
    user: SupervisorPageDep, handoff: HandoffDep, conversation_id: str = "", limit: int = 200
) -> Response:
    """The audit log (supervisors and admins)."""
    entries = await handoff.audit_log(
        limit=max(1, min(limit, 1000)), conversation_id=conversation_id.strip() or None
    )
    return page_response(
        audit_page(user, entries, conversation_id), title="Audit log", page="audit"
    )
