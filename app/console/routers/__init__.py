"""The console's routes, one module-level `APIRouter` per resource, each under /console.

    account        GET/POST /login, POST /logout, GET /api/me
    queue          GET "" (the queue page), /fragments/queue, /api/queue
    conversations  GET /conversations/{id} (+ fragment, JSON), POST its moves, reply, notes
    events         GET /events (server-sent events)
    audit          GET /audit
    insights       GET /insights, /api/insights
    agents         GET/POST /agents, POST /agents/{agent_id}/active|role
    copilot        GET /fragments/conversations/{id}/draft, /api/conversations/{id}/draft
    macros         GET/POST /macros, POST /macros/{macro_id}, /macros/{macro_id}/delete

`ROUTERS` lists them; app.doors.web includes them (the one place routers are included).
"""

from __future__ import annotations

from fastapi import APIRouter

from app.console.routers import (
    account,
    agents,
    audit,
    conversations,
    copilot,
    events,
    insights,
    macros,
    queue,
)

ROUTERS: tuple[APIRouter, ...] = (
    account.router,
    queue.router,
    conversations.router,
    events.router,
    audit.router,
    insights.router,
    agents.router,
    copilot.router,
    macros.router,
)
