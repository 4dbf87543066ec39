"""How the support team served the customers handed to it, over a period (the insights
page's service figures): waits for a first reply, times to resolution, each agent's work.
Read-only; durations in seconds."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.db.models import Agent, AuditEntry, Escalation, Message


def first_reply_waits(session: Session, *, since: datetime) -> list[float]:
    """For each conversation queued at or after `since` that a person has answered: seconds
    from queueing to the first agent reply after it."""
    first_reply = func.min(Message.created_at)
    query = (
        select(Escalation.queued_at, first_reply)
        .join(
            Message,
            and_(
                Message.conversation_id == Escalation.conversation_id,
                Message.role == "agent",
                Message.created_at >= Escalation.queued_at,
            ),
        )
        .where(Escalation.queued_at >= since)
        .group_by(Escalation.id, Escalation.queued_at)
    )
    return [
        (replied - queued).total_seconds()
        for queued, replied in session.execute(query)
        if replied is not None
    ]


def resolution_times(session: Session, *, since: datetime) -> list[float]:
    """For each escalation a person resolved at or after `since`: seconds from queueing to
    resolution (handed back to the bot is not resolved)."""
    query = select(Escalation.queued_at, Escalation.resolved_at).where(
        Escalation.resolution == "resolved", Escalation.resolved_at >= since
    )
    return [
        (resolved - queued).total_seconds()
        for queued, resolved in session.execute(query)
        if resolved is not None
    ]


def agent_work(session: Session, *, since: datetime) -> dict[str, dict[str, int]]:
    """Per agent (display name) since `since`: the conversations they worked on (replied to
    or resolved), their replies, and the conversations they resolved."""
    query = (
        select(Agent.display_name, AuditEntry.action, AuditEntry.conversation_id)
        .join(Agent, Agent.id == AuditEntry.agent_id)
        .where(AuditEntry.at >= since, AuditEntry.action.in_(("replied", "resolved")))
    )
    conversations: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for name, action, conversation_id in session.execute(query):
        counts[name][action] += 1
        if conversation_id:
            conversations[name].add(conversation_id)
    return {
        name: {
            "conversations": len(conversations[name]),
            "replies": counts[name]["replied"],
            "resolved": counts[name]["resolved"],
        }
        for name in sorted(counts)
    }
