"""Conversations as Chainlit sees them ("threads"): their name, owner, metadata and tags, and
everything in one, read at once for a resumed chat. Session keyword-only; nothing here
commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.db import conversations as repo
from app.db.customers import merged_metadata
from app.db.models import Conversation, Customer, Element, Feedback, Message, utc_now
from app.db.steps import NAME_MAX
from app.ground.errors import AppError


@dataclass(frozen=True)
class ThreadContents:
    """A conversation with its messages (oldest first), their feedback, its elements and its
    owner's identifier."""

    conversation: Conversation
    messages: list[Message]
    feedback: dict[str, Feedback]
    elements: list[Element]
    identifier: str | None


def update_thread(
    *,
    session: Session,
    thread_id: str,
    name: str | None = None,
    customer_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    tags: list[str] | None = None,
) -> None:
    """Set what is given (None leaves a field as it is); the conversation is created if new."""
    conversation = repo.ensure_conversation(session, conversation_id=thread_id)
    if name is not None:
        conversation.name = name[:NAME_MAX]
    if customer_id is not None:
        if session.get(Customer, customer_id) is None:
            raise AppError("unknown_customer", f"no customer with id {customer_id!r}")
        conversation.customer_id = customer_id
    if metadata is not None:
        conversation.metadata_ = merged_metadata(conversation.metadata_ or {}, metadata)
    if tags is not None:
        conversation.tags = list(tags)
    conversation.updated_at = utc_now()


def thread_contents(*, session: Session, thread_id: str) -> ThreadContents | None:
    """Everything in the conversation, or None if there is no such conversation."""
    conversation = session.get(Conversation, thread_id)
    if conversation is None:
        return None
    return ThreadContents(
        conversation=conversation,
        messages=repo.transcript(session, conversation_id=thread_id),
        feedback=repo.feedback_of(session, conversation_id=thread_id),
        elements=repo.elements_of(session, conversation_id=thread_id),
        identifier=repo.author_identifier(session, conversation_id=thread_id),
    )
