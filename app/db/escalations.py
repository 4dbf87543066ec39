"""Queries behind the handoff: escalations, the queue, agent and system messages, notes and
the audit log. Like app.db.conversations: session first, nothing here commits.

Two agents claiming the same conversation at once must not both win. `lock_conversation`
takes a row lock on PostgreSQL (SELECT ... FOR UPDATE), so the second waits and then sees the
conversation assigned; SQLite has no row locks and runs the reads of both transactions before
either writes, so `set_handoff_state` also compares and sets: it changes the state only if it
is still the one that was read, and reports a conflict otherwise. A reassignment leaves the
state as it was ("assigned"), so `assign_escalation` compares the assignee that was read too:
two supervisors reassigning at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.db.conversations import citations_of, transcript
from app.db.models import (
    Agent,
    AuditEntry,
    Citation,
    Conversation,
    Customer,
    Escalation,
    Feedback,
    Message,
    Note,
    utc_now,
)
from app.ground.errors import AppError

OPEN_STATES = ("queued", "assigned")


def lock_conversation(session: Session, conversation_id: str) -> Conversation:
    """The conversation, locked for this transaction; AppError("not_found") if unknown."""
    query = select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    conversation = session.scalars(query).first()
    if conversation is None:
        raise AppError("not_found", f"no conversation with id {conversation_id!r}")
    return conversation


def set_handoff_state(session: Session, conversation: Conversation, state: str) -> None:
    """Move the conversation to `state` if nobody changed it since it was read."""
    now = utc_now()
    result = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.status == conversation.status)
        .values(status=state, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise AppError(
            "handoff_conflict", "someone else changed this conversation at the same moment"
        )
    set_committed_value(conversation, "status", state)
    set_committed_value(conversation, "updated_at", now)


def assign_escalation(
    session: Session, escalation: Escalation, *, agent_id: str, now: datetime
) -> None:
    """Give the escalation to `agent_id` if its assignee is still the one that was read;
    AppError("handoff_conflict") when someone reassigned it in between."""
    expected = escalation.assigned_agent_id
    same_assignee = (
        Escalation.assigned_agent_id.is_(None)
        if expected is None
        else Escalation.assigned_agent_id == expected
    )
    values = {"state": "assigned", "assigned_agent_id": agent_id, "assigned_at": now,
              "updated_at": now}  # fmt: skip
    result = session.execute(
        update(Escalation)
        .where(Escalation.id == escalation.id, same_assignee)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise AppError(
            "handoff_conflict", "someone else reassigned this conversation at the same moment"
        )
    for key, value in values.items():
        set_committed_value(escalation, key, value)


def conversation_by_id(session: Session, conversation_id: str) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def agent_of(session: Session, agent_id: str) -> Agent | None:
    return session.get(Agent, agent_id)


def new_escalation(
    session: Session, conversation_id: str, reason: str, now: datetime
) -> Escalation:
    """A first escalation of the conversation, queued at `now` (added, not committed)."""
    escalation = Escalation(
        conversation_id=conversation_id, state="queued", reason=reason, reasons=[],
        priority=3, summary="", bot_suggested="", entities=[], sentiment={},
        times_escalated=1, created_at=now, queued_at=now, updated_at=now,
    )  # fmt: skip
    session.add(escalation)
    return escalation


def escalation_of(session: Session, conversation_id: str) -> Escalation | None:
    query = select(Escalation).where(Escalation.conversation_id == conversation_id)
    return session.scalars(query).first()


def queue(
    session: Session,
    *,
    states: Sequence[str] = OPEN_STATES,
    reason: str | None = None,
    intent: str | None = None,
    assigned_agent_id: str | None = None,
    limit: int = 200,
) -> list[tuple[Escalation, Conversation, Customer | None, str | None]]:
    """Escalations in `states` with their conversation, customer and assignee's name, oldest
    first (the caller orders by effective priority, which depends on the clock)."""
    query = (
        select(Escalation, Conversation, Customer, Agent.display_name)
        .join(Conversation, Conversation.id == Escalation.conversation_id)
        .outerjoin(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(Agent, Agent.id == Escalation.assigned_agent_id)
        .where(Escalation.state.in_(list(states)))
    )
    if reason:
        query = query.where(Escalation.reason == reason)
    if intent:
        query = query.where(Escalation.intent == intent)
    if assigned_agent_id:
        query = query.where(Escalation.assigned_agent_id == assigned_agent_id)
    query = query.order_by(Escalation.queued_at, Escalation.id).limit(limit)
    return [(e, c, customer, name) for e, c, customer, name in session.execute(query)]


def waiting_escalations(session: Session) -> list[tuple[str, int, datetime]]:
    """Every queued escalation as (conversation id, base priority, queued at): the queue a
    waiting customer stands in (the caller orders it as the console does)."""
    query = select(Escalation.conversation_id, Escalation.priority, Escalation.queued_at).where(
        Escalation.state == "queued"
    )
    return [(cid, priority, queued_at) for cid, priority, queued_at in session.execute(query)]


def waits_claimed_since(session: Session, since: datetime) -> list[float]:
    """Seconds each conversation claimed since `since` had waited in the queue."""
    query = select(Escalation.queued_at, Escalation.assigned_at).where(
        Escalation.assigned_at.is_not(None), Escalation.assigned_at >= since
    )
    return [
        (assigned - queued).total_seconds()
        for queued, assigned in session.execute(query)
        if assigned is not None and assigned >= queued
    ]


def customer_of(session: Session, conversation: Conversation) -> Customer | None:
    if conversation.customer_id is None:
        return None
    return session.get(Customer, conversation.customer_id)


def customer_name(session: Session, conversation: Conversation) -> str | None:
    """The customer's name, when known: the one their site's token or the pre-chat form gave,
    else a display name."""
    if conversation.customer_id is None:
        return None
    customer = session.get(Customer, conversation.customer_id)
    if customer is None:
        return None
    return (customer.contact_name or customer.display_name or "").strip() or None


def failures(session: Session, conversation_id: str) -> int:
    """How often the bot failed the customer since a person last handed the conversation
    back (or since it began): answers it abstained on, and thumbs down. Failures before a
    resolved escalation were that escalation's reason; counting them again would send the
    conversation back to the queue at the first new failure."""
    escalation = escalation_of(session, conversation_id)
    since = escalation.resolved_at if escalation is not None else None
    abstained = sum(
        1
        for message in transcript(session, conversation_id)
        if message.role == "assistant"
        and (message.metadata_ or {}).get("answer_kind") == "abstain"
        and (since is None or message.created_at >= since)
    )
    query = select(Feedback).where(Feedback.conversation_id == conversation_id, Feedback.value == 0)
    if since is not None:
        query = query.where(Feedback.updated_at >= since)
    return abstained + len(list(session.scalars(query)))


def escalations_of_customer_since(
    session: Session, conversation: Conversation, since: datetime
) -> int:
    """How often the conversation's customer (or, with no customer known, the conversation)
    was queued for a person since `since`: first escalations and reopenings alike, from the
    audit log."""
    query = (
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "escalated", AuditEntry.at >= since)
    )
    if conversation.customer_id is None:
        query = query.where(AuditEntry.conversation_id == conversation.id)
    else:
        query = query.join(Conversation, Conversation.id == AuditEntry.conversation_id).where(
            Conversation.customer_id == conversation.customer_id
        )
    return int(session.scalar(query) or 0)


def transcript_with_citations(
    session: Session, conversation_id: str
) -> list[tuple[Message, list[Citation]]]:
    """Every message, oldest first, each with the passages it cited."""
    return [
        (message, citations_of(session, message.id) if message.role == "assistant" else [])
        for message in transcript(session, conversation_id)
        if message.type in ("user_message", "assistant_message")
    ]


def add_message(
    session: Session,
    *,
    conversation_id: str,
    message_id: str,
    role: str,
    author: str,
    text: str,
    metadata: dict[str, Any] | None = None,
) -> tuple[Message, bool]:
    """Store a message from a person or the system; (row, created). The same id twice is the
    same message (a double-submitted reply): the first row is returned, unchanged."""
    existing = session.get(Message, message_id)
    if existing is not None:
        if existing.conversation_id != conversation_id:
            raise AppError("duplicate_id", f"message id {message_id!r} is already taken")
        return existing, False
    now = utc_now()
    row = Message(
        id=message_id,
        conversation_id=conversation_id,
        role=role,
        type="assistant_message",
        name=author,
        author=author,
        text=text,
        metadata_={**(metadata or {}), "role": role},
        created_at=now,
        start=now,
        end=now,
        handled_at=now,
    )
    session.add(row)
    session.flush()
    return row, True


def add_note(session: Session, *, conversation_id: str, agent_id: str, text: str) -> Note:
    note = Note(conversation_id=conversation_id, agent_id=agent_id, text=text)
    session.add(note)
    session.flush()
    return note


def notes_of(session: Session, conversation_id: str) -> list[tuple[Note, str | None]]:
    """The conversation's notes, oldest first, with their author's name."""
    query = (
        select(Note, Agent.display_name)
        .outerjoin(Agent, Agent.id == Note.agent_id)
        .where(Note.conversation_id == conversation_id)
        .order_by(Note.created_at, Note.id)
    )
    return [(note, name) for note, name in session.execute(query)]


def audit(
    session: Session,
    *,
    action: str,
    agent_id: str | None = None,
    conversation_id: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at or utc_now(),
        agent_id=agent_id,
        action=action,
        conversation_id=conversation_id,
        detail=detail or {},
    )
    session.add(entry)
    session.flush()
    return entry


def audit_page(
    session: Session, *, limit: int = 200, conversation_id: str | None = None
) -> list[tuple[AuditEntry, str | None]]:
    """The newest audit entries first, with the acting agent's name."""
    query = select(AuditEntry, Agent.display_name).outerjoin(Agent, Agent.id == AuditEntry.agent_id)
    if conversation_id:
        query = query.where(AuditEntry.conversation_id == conversation_id)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return [(entry, name) for entry, name in session.execute(query)]


def mark_handled(session: Session, message_id: str) -> bool:
    """Mark a customer message as taken in hand; False if it already was (a redelivery)."""
    message = session.get(Message, message_id, with_for_update=True)
    if message is None:
        raise AppError("unknown_message", f"no message with id {message_id!r}")
    if message.handled_at is not None:
        return False
    message.handled_at = utc_now()
    return True
