"""For operators, without a login: liveness, readiness and Prometheus metrics.

None of them shows what customers wrote; keep /metrics off the public internet all the same.
"""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.console import state as app_state
from app.doors.health import readiness
from app.doors.metrics import CONTENT_TYPE, Metrics
from app.index.protocols import IndexReader

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process serves requests. Checks nothing else, on purpose."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when the index, the database and the model server answer, else 503."""
    ready, checks = await readiness(
        reader=cast(IndexReader, app_state.present(request, "reader")),
        engine=app_state.engine_of(request),
        model=app_state.settings_of(request).model,
    )
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
def prometheus_metrics(request: Request) -> Response:
    """Prometheus metrics (app/doors/metrics.py): counts and latencies, no personal data."""
    metrics = app_state.typed(request, "metrics", Metrics)
    return Response(metrics.exposition(), media_type=CONTENT_TYPE)
