"""The console's reads: the queue, one conversation, the audit log, as plain views.

Rows are copied into the dataclasses of app/handoff/views.py inside the transaction that read
them, so the console can use them after the session has closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db import escalations as repo
from app.db.customer_profiles import earlier_conversations, profile_of
from app.db.models import Conversation, Customer, Escalation, Message
from app.ground.errors import AppError
from app.handoff.brief import as_written, effective_priority
from app.handoff.views import (
    AuditView,
    ConversationView,
    EscalationView,
    MessageView,
    NoteView,
    QueueItem,
)


def queue_items(
    session: Session,
    *,
    states: Sequence[str],
    reason: str | None,
    assigned_to: str | None,
    limit: int,
    intent: str | None = None,
    now: datetime,
    aging_minutes: int,
) -> list[QueueItem]:
    """The escalations in `states`, with the priority raised by waiting (unsorted)."""
    rows = repo.queue(
        session,
        states=states,
        reason=reason,
        intent=intent,
        assigned_agent_id=assigned_to,
        limit=limit,
    )
    return [
        _queue_item(escalation, conversation, customer, assignee, now, aging_minutes)
        for escalation, conversation, customer, assignee in rows
    ]


def conversation_view(session: Session, conversation_id: str) -> ConversationView:
    """The conversation as an agent reads it: transcript, escalation, notes."""
    conversation = repo.conversation_by_id(session, conversation_id)
    if conversation is None:
        raise AppError("not_found", f"no conversation with id {conversation_id!r}")
    escalation = repo.escalation_of(session, conversation_id)
    customer = repo.customer_of(session, conversation)
    return ConversationView(
        conversation_id=conversation.id,
        state=conversation.status,
        customer=customer.identifier if customer else None,
        product=conversation.product
        or (first_product(escalation.entities) if escalation else None),
        escalation=_escalation_view(session, escalation) if escalation else None,
        messages=[
            _message_view(message, citations)
            for message, citations in repo.transcript_with_citations(session, conversation_id)
        ],
        notes=[
            NoteView(author=name, text=note.text, created_at=note.created_at)
            for note, name in repo.notes_of(session, conversation_id)
        ],
        profile=profile_of(customer) if customer else None,
        earlier=earlier_conversations(
            session=session, customer_id=customer.id, besides=conversation.id
        )
        if customer
        else [],
        customer_name=repo.customer_name(session, conversation),
    )


def audit_views(session: Session, *, limit: int, conversation_id: str | None) -> list[AuditView]:
    """The latest audit entries (of one conversation, when given)."""
    return [
        AuditView(entry.at, name, entry.action, entry.conversation_id, dict(entry.detail))
        for entry, name in repo.audit_page(session, limit=limit, conversation_id=conversation_id)
    ]


def first_product(entities: Sequence[dict[str, str]]) -> str | None:
    """The first product among a brief's entities."""
    return next((e["value"] for e in entities if e.get("kind") == "product"), None)


def _queue_item(
    escalation: Escalation,
    conversation: Conversation,
    customer: Customer | None,
    assignee: str | None,
    now: datetime,
    aging_minutes: int,
) -> QueueItem:
    waiting = escalation.queued_at
    effective = escalation.priority
    if escalation.state == "queued":
        effective = effective_priority(escalation.priority, waiting, now, aging_minutes)
    return QueueItem(
        conversation_id=conversation.id,
        state=escalation.state,
        reason=escalation.reason,
        reasons=list(escalation.reasons),
        priority=effective,
        base_priority=escalation.priority,
        summary=escalation.summary,
        product=conversation.product or first_product(escalation.entities),
        customer=customer.identifier if customer else None,
        customer_name=customer.contact_name if customer else None,
        customer_email=customer.contact_email if customer else None,
        assigned_agent_id=escalation.assigned_agent_id,
        assigned_to=assignee,
        queued_at=waiting,
        waiting_s=max(0.0, (now - waiting).total_seconds()),
        sentiment=dict(escalation.sentiment),
        intent=escalation.intent,
    )


def _escalation_view(session: Session, escalation: Escalation) -> EscalationView:
    assignee = None
    if escalation.assigned_agent_id:
        assignee = repo.agent_of(session, escalation.assigned_agent_id)
    return EscalationView(
        id=escalation.id,
        state=escalation.state,
        reason=escalation.reason,
        reasons=list(escalation.reasons),
        priority=escalation.priority,
        summary=escalation.summary,
        bot_suggested=escalation.bot_suggested,
        entities=list(escalation.entities),
        sentiment=dict(escalation.sentiment),
        assigned_agent_id=escalation.assigned_agent_id,
        assigned_to=assignee.display_name if assignee else None,
        queued_at=escalation.queued_at,
        times_escalated=escalation.times_escalated,
        resolution=escalation.resolution,
        intent=escalation.intent,
    )


def _message_view(message: Message, citations: Sequence[Any]) -> MessageView:
    return MessageView(
        id=message.id,
        role=message.role,
        author="Customer" if message.role == "customer" else message.author,
        text=as_written(message.role, message.text),
        created_at=message.created_at,
        citations=[
            {
                "marker": c.marker,
                "title": c.title,
                "heading_path": list(c.heading_path),
                "section_paths": [list(path) for path in c.section_paths or []],
                "url": c.url,
                "snippet": c.snippet,
                "source": c.source,
            }  # fmt: skip
            for c in citations
        ],
        triage=(message.metadata_ or {}).get("triage"),
    )
