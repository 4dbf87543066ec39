"""Typed dependencies for the console's routers: `Annotated[..., Depends(...)]` aliases.

A route names what it needs in its signature (`handoff: HandoffDep`, `user: SupervisorDep`)
and FastAPI supplies it, so no route reads `app.state` (app.console.state does that, typed)
nor checks a login or a role by hand (app.console.auth does that).

Who may call, by alias (each admits the role named or a higher one):
    PageAgentDep, SupervisorPageDep, AdminPageDep   HTML pages: not signed in -> 303 to login
    AgentDep, SupervisorDep                          APIs, fragments, streams: -> 401
    CsrfAgentDep, CsrfSupervisorDep, CsrfAdminDep    POSTs: also the session's CSRF token
A signed-in agent without the role gets 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import Engine

from app.console import state
from app.console.auth import ConsoleUser, csrf_agent, csrf_role, current_agent, page_agent
from app.console.auth import require_role as _require_role
from app.console.copilot import Drafter
from app.console.grouping import VectorCache
from app.console.limiter import LoginLimiter
from app.ground.config import Settings
from app.ground.embedding import Embedder
from app.handoff.service import Handoff

SettingsDep = Annotated[Settings, Depends(state.settings_of)]
EngineDep = Annotated[Engine, Depends(state.engine_of)]
HandoffDep = Annotated[Handoff, Depends(state.handoff_of)]
DrafterDep = Annotated[Drafter | None, Depends(state.drafter_of)]
EmbedderDep = Annotated[Embedder | None, Depends(state.embedder_of)]
LimiterDep = Annotated[LoginLimiter, Depends(state.limiter_of)]
VectorsDep = Annotated[VectorCache, Depends(state.vectors_of)]

PageAgentDep = Annotated[ConsoleUser, Depends(page_agent)]
SupervisorPageDep = Annotated[ConsoleUser, Depends(_require_role("supervisor", page=True))]
AdminPageDep = Annotated[ConsoleUser, Depends(_require_role("admin", page=True))]

AgentDep = Annotated[ConsoleUser, Depends(current_agent)]
SupervisorDep = Annotated[ConsoleUser, Depends(_require_role("supervisor"))]

CsrfAgentDep = Annotated[ConsoleUser, Depends(csrf_agent)]
CsrfSupervisorDep = Annotated[ConsoleUser, Depends(csrf_role("supervisor"))]
CsrfAdminDep = Annotated[ConsoleUser, Depends(csrf_role("admin"))]
