"""Queries on routing decisions. Functions take the session keyword-only and do not commit."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from app.db.conversations import require_message
from app.db.models import RoutingRecord
from app.pipeline.types import RouteUsage, RoutingDecision


def record_routing(
    *,
    session: Session,
    message_id: str,
    decision: RoutingDecision,
    usage: dict[str, RouteUsage],
) -> RoutingRecord:
    """Store which model answered the bot message `message_id`, why, and what it cost."""
    require_message(session=session, message_id=message_id)
    record = RoutingRecord(
        message_id=message_id,
        **asdict(decision),  # the decision's fields are the record's columns
        usage={route: asdict(spent) for route, spent in usage.items()},
    )
    session.add(record)
    return record
