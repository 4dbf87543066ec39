"""Queries on ingest runs. Functions take the session keyword-only and do not commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import IngestRun


def record_run(*, session: Session, summary: dict[str, Any]) -> IngestRun:
    """Add a run from an ingest report summary (`IngestReport.summary()`); no commit."""
    run = IngestRun(
        started_at=datetime.strptime(summary["started_at"], "%Y-%m-%dT%H:%M:%S%z"),
        duration_s=summary["duration_s"],
        roots=summary["roots"],
        added=summary["added"],
        updated=summary["updated"],
        unchanged=summary["unchanged"],
        deleted=summary["deleted"],
        failed=summary["failed"],
        passages_total=summary["passages_total"],
        report_path=summary["report_path"],
        failures=summary["failures"],
    )
    session.add(run)
    return run


def recent_runs(*, session: Session, limit: int = 10) -> list[IngestRun]:
    """The latest runs, newest first."""
    query = (
        select(IngestRun).order_by(IngestRun.started_at.desc(), IngestRun.id.desc()).limit(limit)
    )
    return list(session.scalars(query))
