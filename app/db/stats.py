"""Aggregates over conversations: the operators' gauges (/metrics, computed at scrape time) and
the supervisors' insights (/console/insights, per day over a period). Read-only.

Both read deflection the same way: of the conversations in which a customer wrote, those
never escalated to a person. The insights attribute a conversation to the UTC day it started.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Select, cast, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from app.db.models import Conversation, Escalation, Feedback, Message


def _customer_conversations() -> Select[str]:
    """The ids of conversations in which a customer wrote (a bot greeting alone is none)."""
    return select(Message.conversation_id).where(Message.role == "customer").distinct()


def _customer_wrote() -> ColumnElement[bool]:
    """The same test for one conversation of the outer query (cheap on a period: it reads
    only that conversation's messages, by index)."""
    return exists().where(Message.conversation_id == Conversation.id, Message.role == "customer")


def conversation_outcomes(session: Session) -> tuple[int, int]:
    """(conversations in which a customer wrote, those of them ever escalated to a person)."""
    customer = _customer_conversations()
    total = session.scalar(select(func.count()).select_from(customer.subquery())) or 0
    escalated = (
        session.scalar(
            select(func.count(Escalation.id)).where(Escalation.conversation_id.in_(customer))
        )
        or 0
    )
    return int(total), int(escalated)


def daily_outcomes(session: Session, *, since: datetime) -> dict[date, tuple[int, int]]:
    """`conversation_outcomes` per UTC day the conversation started, for conversations started
    at or after `since`: {day: (conversations, escalated)}; days without any are absent."""
    day = _utc_day(session, Conversation.created_at)
    query = (
        select(day, func.count(Conversation.id), func.count(Escalation.id))
        # One escalation per conversation at most (a unique key), so the join adds no rows.
        .outerjoin(Escalation, Escalation.conversation_id == Conversation.id)
        .where(Conversation.created_at >= since, _customer_wrote())
        .group_by(day)
    )
    return {
        _as_date(value): (int(total), int(escalated))
        for value, total, escalated in session.execute(query)
    }


def escalation_reasons(session: Session, *, since: datetime) -> dict[str, int]:
    """Conversations first escalated at or after `since`, each counted once under its main
    reason (the one the queue shows; further reasons join the same escalation)."""
    query = (
        select(Escalation.reason, func.count(Escalation.id))
        .where(Escalation.created_at >= since)
        .group_by(Escalation.reason)
    )
    return {str(reason): int(count) for reason, count in session.execute(query)}


def feedback_votes(session: Session) -> tuple[int, int]:
    """(thumbs up, thumbs down) as they stand: a changed vote counts once, as changed."""
    rows = session.execute(select(Feedback.value, func.count()).group_by(Feedback.value)).all()
    counts = {int(value): int(n) for value, n in rows}
    return counts.get(1, 0), counts.get(0, 0)


def _utc_day(session: Session, column: InstrumentedAttribute[datetime]) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, in SQL.

    PostgreSQL stores `timestamptz` and would take the day in the session's time zone, so the
    value is moved to UTC first; SQLite stores UTC text already (models.UtcDateTime), and its
    date() returns 'YYYY-MM-DD'.
    """
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
