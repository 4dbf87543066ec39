"""Aggregates for the operators' gauges (/metrics): read-only, computed at scrape time."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Escalation, Feedback, Message


def conversation_outcomes(session: Session) -> tuple[int, int]:
    """(conversations in which a customer wrote, those of them ever escalated to a person)."""
    customer = select(Message.conversation_id).where(Message.role == "customer").distinct()
    total = session.scalar(select(func.count()).select_from(customer.subquery())) or 0
    escalated = (
        session.scalar(
            select(func.count(Escalation.id)).where(Escalation.conversation_id.in_(customer))
        )
        or 0
    )
    return int(total), int(escalated)


def feedback_votes(session: Session) -> tuple[int, int]:
    """(thumbs up, thumbs down) as they stand: a changed vote counts once, as changed."""
    rows = session.execute(select(Feedback.value, func.count()).group_by(Feedback.value)).all()
    counts = {int(value): int(n) for value, n in rows}
    return counts.get(1, 0), counts.get(0, 0)
