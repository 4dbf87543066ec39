"""Aggregates over conversations: the operators' gauges (/metrics, computed at scrape time) and
the supervisors' insights (/console/insights, per day over a period). Read-only.

Both read deflection the same way (`deflected`): of the conversations in which a customer
wrote, those in which the bot gave an answer, nobody was asked in, no thumbs down was given,
and the customer did not come back unhappy within a day. The insights attribute a
conversation to the UTC day it started.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.db.models import Conversation, Escalation, Feedback, Message


def _customer_wrote() -> ColumnElement[bool]:
    """Whether a customer wrote in the outer query's conversation (a bot greeting alone is no
    conversation; cheap on a period: it reads only that conversation's messages, by index)."""
    return exists().where(Message.conversation_id == Conversation.id, Message.role == "customer")


# A customer who comes back within this time after a conversation and is handed to a person
# or gives a thumbs down was not helped by the first one: it does not count as deflected.
DEFLECTION_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class ConversationFacts:
    """What deflection needs to know of one conversation in which a customer wrote."""

    conversation_id: str
    customer_id: str | None
    started: datetime
    answered: bool  # the bot gave at least one answer (not only abstentions or refusals)
    escalated: bool  # a person was asked in
    thumbs_down: bool

    @property
    def unhappy(self) -> bool:
        return self.escalated or self.thumbs_down


def conversation_facts(session: Session, *, since: datetime) -> list[ConversationFacts]:
    """The facts of every conversation started at or after `since` in which a customer
    wrote, oldest first."""
    started = (
        select(Conversation.id, Conversation.customer_id, Conversation.created_at)
        .where(Conversation.created_at >= since, _customer_wrote())
        .order_by(Conversation.created_at, Conversation.id)
    )
    rows = session.execute(started).all()
    ids = select(Conversation.id).where(Conversation.created_at >= since)
    escalated = set(
        session.scalars(
            select(Escalation.conversation_id).where(Escalation.conversation_id.in_(ids))
        )
    )
    thumbs_down = set(
        session.scalars(
            select(Feedback.conversation_id).where(
                Feedback.value == 0, Feedback.conversation_id.in_(ids)
            )
        )
    )
    replies = session.execute(
        select(Message.conversation_id, Message.metadata_).where(
            Message.role == "assistant", Message.conversation_id.in_(ids)
        )
    )
    answered = {cid for cid, meta in replies if (meta or {}).get("answer_kind") == "answer"}
    return [
        ConversationFacts(
            conversation_id=cid,
            customer_id=customer,
            started=_aware(at),
            answered=cid in answered,
            escalated=cid in escalated,
            thumbs_down=cid in thumbs_down,
        )  # fmt: skip
        for cid, customer, at in rows
    ]


def deflected(
    facts: Sequence[ConversationFacts], window: timedelta = DEFLECTION_WINDOW
) -> set[str]:
    """The conversations the bot resolved alone: the customer got an answer, nobody was asked
    in, no thumbs down, and the same customer did not come back unhappy (a later conversation
    escalated or thumbed down) within `window`. A conversation that crashed or was abandoned
    before any answer is not deflected, whatever happened after."""
    later: dict[str, list[ConversationFacts]] = defaultdict(list)
    for fact in facts:
        if fact.customer_id is not None:
            later[fact.customer_id].append(fact)
    return {
        fact.conversation_id
        for fact in facts
        if fact.answered
        and not fact.unhappy
        and not any(
            other.unhappy and fact.started < other.started <= fact.started + window
            for other in later.get(fact.customer_id or "", ())
        )
    }


def conversation_outcomes(session: Session, *, since: datetime) -> tuple[int, int, int]:
    """(conversations in which a customer wrote, escalated, deflected), started since `since`."""
    facts = conversation_facts(session, since=since)
    return len(facts), sum(f.escalated for f in facts), len(deflected(facts))


def daily_outcomes(session: Session, *, since: datetime) -> dict[date, tuple[int, int, int]]:
    """Per UTC day a conversation started (at or after `since`): (conversations in which a
    customer wrote, escalated to a person, deflected); days without any are absent."""
    facts = conversation_facts(session, since=since)
    resolved_alone = deflected(facts)
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for fact in facts:
        counts = days[fact.started.astimezone(UTC).date()]
        counts[0] += 1
        counts[1] += fact.escalated
        counts[2] += fact.conversation_id in resolved_alone
    return {day: (total, escalated, alone) for day, (total, escalated, alone) in days.items()}


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


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes from some queries; PostgreSQL aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
