"""Customers' thumbs up and down on the bot's messages. Session keyword-only; nothing here
commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.db import conversations as repo
from app.db.models import Feedback, utc_now


def upsert_feedback(
    *,
    session: Session,
    message_id: str,
    value: int,
    comment: str | None,
    feedback_id: str | None = None,
) -> tuple[str, str]:
    """One feedback per message: a second vote replaces the first. Returns the feedback's id
    and the message's conversation id; AppError for an unknown message. Flushes."""
    message = repo.require_message(session, message_id=message_id)
    row = repo.feedback_for_message(session, message_id=message.id)
    if row is None:
        row = Feedback(message_id=message.id, conversation_id=message.conversation_id)
        if feedback_id:
            row.id = feedback_id
        session.add(row)
    row.value = value
    row.comment = comment
    row.updated_at = utc_now()
    session.flush()
    return row.id, message.conversation_id


def delete_feedback(*, session: Session, feedback_id: str) -> None:
    """Delete it (no-op if unknown)."""
    row = session.get(Feedback, feedback_id)
    if row is not None:
        session.delete(row)
