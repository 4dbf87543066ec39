"""GET /console/insights (page) and /console/api/insights (JSON), for supervisors:
deflection per day, escalations by reason, and the unanswered questions grouped by meaning
(?days=7|30|90, default 30; anything else is 400). The figures are app.console.insights."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from app.console.auth import ConsoleUser
from app.console.deps import (
    EmbedderDep,
    EngineDep,
    SupervisorDep,
    SupervisorPageDep,
    VectorsDep,
)
from app.console.grouping import VectorCache
from app.console.html import page_response
from app.console.insights import Insights, gather, period_days
from app.console.insights_pages import insights_page
from app.console.responses import json_response, refusal
from app.ground.embedding import Embedder
from app.ground.errors import AppError

router = APIRouter(prefix="/console", tags=["console"])


async def insights_or_error(
    request: Request,
    user: ConsoleUser,
    days: str,
    *,
    engine: Engine,
    embedder: Embedder | None,
    vectors: VectorCache,
    page: bool,
) -> Insights | Response:
    try:
        period = period_days(days)
    except AppError as exc:
        return refusal(request, user, exc, page=page, back="/console/insights")
    # gather blocks (queries, embedding the questions): a worker thread.
    return await asyncio.to_thread(gather, engine, days=period, embedder=embedder, cache=vectors)


@router.get("/insights", response_class=HTMLResponse)
async def insights(
    request: Request,
    user: SupervisorPageDep,
    engine: EngineDep,
    embedder: EmbedderDep,
    vectors: VectorsDep,
    days: str = "",
) -> Response:
    """Deflection per day, escalations by reason, and the unanswered questions grouped by
    meaning: the articles worth writing next (supervisors and admins)."""
    report = await insights_or_error(
        request, user, days, engine=engine, embedder=embedder, vectors=vectors, page=True
    )
    if isinstance(report, Response):
        return report
    return page_response(insights_page(user, report), title="Insights", page="insights")


@router.get("/api/insights")
async def insights_json(
    request: Request,
    user: SupervisorDep,
    engine: EngineDep,
    embedder: EmbedderDep,
    vectors: VectorsDep,
    days: str = "",
) -> Response:
    """The insights as JSON (the page's figures, and each group's questions whole)."""
    report = await insights_or_error(
        request, user, days, engine=engine, embedder=embedder, vectors=vectors, page=False
    )
    if isinstance(report, Response):
        return report
    return json_response(report.to_json())
