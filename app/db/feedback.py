"""Customers' thumbs up and down on the bot's answers. Session keyword-only; nothing here
commits.

A vote is a customer's judgement of an answer they were given, and a thumbs down counts as a
failure of the bot that can bring a person into that conversation (app/conversation). So a
vote is taken only from the conversation's owner and only on the bot's own messages: ids
are guessable enough to be sent by anyone, and a vote on another customer's message would
re-open their conversation and skew the insights.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.db import conversations as repo
from app.db.models import Feedback, Message, utc_now
from app.db.steps import written_by_bot
from app.ground.errors import AppError


def upsert_feedback(
    *,
    session: Session,
    message_id: str,
    value: int,
    comment: str | None,
    customer: str,
) -> tuple[str, str]:
    """One feedback per message: a second vote replaces the first. `customer` is the voter's
    identifier. Returns the feedback's id and the message's conversation id; AppError
    "not_found" (and nothing stored) unless the bot wrote the message (its answer, or the
    Chainlit step the answer hangs under, which is what the chat UI votes on) in a
    conversation of that customer. Flushes."""
    message = session.get(Message, message_id)
    if (
        message is None
        or not written_by_bot(message)  # the chat UI votes on an answer's run step
        or repo.author_identifier(session, conversation_id=message.conversation_id) != customer
    ):
        raise AppError("not_found", f"no answer {message_id!r} in your conversations")
    row = repo.feedback_for_message(session, message_id=message.id)
    if row is None:  # the id is always ours: a client-chosen one could collide with another's
        row = Feedback(message_id=message.id, conversation_id=message.conversation_id)
        session.add(row)
    row.value = value
    row.comment = comment
    row.updated_at = utc_now()
    session.flush()
    return row.id, message.conversation_id


def delete_feedback(*, session: Session, feedback_id: str, customer: str) -> bool:
    """Delete the feedback if it is on a conversation of `customer`; False (nothing deleted)
    when it is unknown or someone else's."""
    row = session.get(Feedback, feedback_id)
    if row is None or repo.author_identifier(session, conversation_id=row.conversation_id) != (
        customer
    ):
        return False
    session.delete(row)
    return True
