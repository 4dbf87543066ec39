"""Queries on customers, conversations and what hangs off them.

Plain functions: the session comes first (positional or keyword), and none of them commits —
the caller owns the transaction (the Chainlit data layer opens one per call; the app and the
console open their own). Deletes are spelled out child table by child table instead of
relying on ON DELETE CASCADE, because SQLite ignores foreign keys unless each connection
turns them on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from app.db.models import (
    Citation,
    Conversation,
    Customer,
    Element,
    Feedback,
    Message,
)
from app.ground.errors import AppError

CITATION_FIELDS = (
    "marker", "passage_id", "source", "title", "heading_path", "section_paths", "url", "page",
    "product", "snippet",
)  # fmt: skip


def customer_by_identifier(session: Session, identifier: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.identifier == identifier)).first()


def ensure_conversation(session: Session, conversation_id: str) -> Conversation:
    """The conversation with this id, created (empty, open) if it does not exist yet."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        conversation = Conversation(id=conversation_id, tags=[], metadata_={})
        session.add(conversation)
        session.flush()
    return conversation


def require_message(session: Session, message_id: str) -> Message:
    """The message, or AppError: callers attach rows to it, and SQLite would not object."""
    message = session.get(Message, message_id)
    if message is None:
        raise AppError("unknown_message", f"no message with id {message_id!r}")
    return message


def transcript(session: Session, conversation_id: str) -> list[Message]:
    """Every message of the conversation, oldest first."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.created_at, Message.id)
    )
    return list(session.scalars(query))


def elements_of(session: Session, conversation_id: str) -> list[Element]:
    query = (
        select(Element)
        .where(Element.conversation_id == conversation_id)
        .order_by(Element.created_at, Element.id)
    )
    return list(session.scalars(query))


def feedback_of(session: Session, conversation_id: str) -> dict[str, Feedback]:
    """The conversation's feedback keyed by message id."""
    query = select(Feedback).where(Feedback.conversation_id == conversation_id)
    return {feedback.message_id: feedback for feedback in session.scalars(query)}


def feedback_for_message(session: Session, message_id: str) -> Feedback | None:
    return session.scalars(select(Feedback).where(Feedback.message_id == message_id)).first()


def feedback_counts(session: Session) -> dict[int, int]:
    """How many messages got each feedback value (1 thumbs up, 0 thumbs down), zeros included."""
    counts = {0: 0, 1: 0}
    query = select(Feedback.value, func.count()).group_by(Feedback.value)
    for value, count in session.execute(query):
        counts[value] = count
    return counts


def record_citations(
    session: Session, message_id: str, citations: Sequence[dict[str, Any]]
) -> list[Citation]:
    """Store the passages an answer cited, replacing any the message had before."""
    require_message(session=session, message_id=message_id)
    session.execute(delete(Citation).where(Citation.message_id == message_id))
    rows = []
    for citation in citations:
        missing = [field for field in ("marker", "passage_id", "source") if field not in citation]
        if missing:
            raise AppError("bad_citation", f"citation lacks {', '.join(missing)}: {citation!r}")
        rows.append(
            Citation(
                message_id=message_id,
                marker=citation["marker"],
                passage_id=citation["passage_id"],
                source=citation["source"],
                title=citation.get("title") or "",
                heading_path=list(citation.get("heading_path") or []),
                section_paths=[list(p) for p in citation.get("section_paths") or []],
                url=citation.get("url"),
                page=citation.get("page"),
                product=citation.get("product"),
                snippet=citation.get("snippet") or "",
            )
        )
    session.add_all(rows)
    session.flush()
    return rows


def citations_of(session: Session, message_id: str) -> list[Citation]:
    """The message's citations in marker order."""
    query = select(Citation).where(Citation.message_id == message_id).order_by(Citation.marker)
    return list(session.scalars(query))


def conversation_page(
    session: Session,
    *,
    limit: int,
    after_id: str | None = None,
    customer_id: str | None = None,
    name_contains: str | None = None,
    feedback_value: int | None = None,
) -> list[tuple[Conversation, str | None]]:
    """Up to `limit` conversations, newest first, with their customer's identifier.

    Keyset pagination: `after_id` is the last conversation of the previous page, so pages
    stay stable while new conversations arrive (they sort before the first page).
    """
    query = select(Conversation, Customer.identifier).outerjoin(
        Customer, Conversation.customer_id == Customer.id
    )
    if customer_id is not None:
        query = query.where(Conversation.customer_id == customer_id)
    if name_contains:
        query = query.where(Conversation.name.icontains(name_contains, autoescape=True))
    if feedback_value is not None:
        query = query.where(
            exists().where(
                Feedback.conversation_id == Conversation.id, Feedback.value == feedback_value
            )
        )
    if after_id is not None:
        cursor = session.get(Conversation, after_id)
        if cursor is None:
            raise AppError("unknown_cursor", f"no conversation with id {after_id!r}")
        query = query.where(
            or_(
                Conversation.created_at < cursor.created_at,
                and_(Conversation.created_at == cursor.created_at, Conversation.id < cursor.id),
            )
        )
    query = query.order_by(Conversation.created_at.desc(), Conversation.id.desc()).limit(limit)
    return [(conversation, identifier) for conversation, identifier in session.execute(query)]


def author_identifier(session: Session, conversation_id: str) -> str | None:
    """The identifier of the customer who owns the conversation, if it has one."""
    query = (
        select(Customer.identifier)
        .join(Conversation, Conversation.customer_id == Customer.id)
        .where(Conversation.id == conversation_id)
    )
    return session.scalars(query).first()


def delete_message(session: Session, message_id: str) -> None:
    """Delete a message with its citations, feedback and elements (no-op if unknown)."""
    session.execute(delete(Citation).where(Citation.message_id == message_id))
    session.execute(delete(Feedback).where(Feedback.message_id == message_id))
    session.execute(delete(Element).where(Element.for_id == message_id))
    session.execute(delete(Message).where(Message.id == message_id))


def delete_conversation(session: Session, conversation_id: str) -> None:
    """Delete a conversation and everything in it (no-op if unknown)."""
    its_messages = select(Message.id).where(Message.conversation_id == conversation_id)
    session.execute(delete(Citation).where(Citation.message_id.in_(its_messages)))
    session.execute(delete(Feedback).where(Feedback.conversation_id == conversation_id))
    session.execute(delete(Element).where(Element.conversation_id == conversation_id))
    session.execute(delete(Message).where(Message.conversation_id == conversation_id))
    session.execute(delete(Conversation).where(Conversation.id == conversation_id))
