"""The live events' log: each conversation's events numbered 1, 2, 3... and kept for a day.

Live events (app/live) say "look now" to every app process. The handoff appends them here in
the transaction that made the change they announce, so the number is given under the
conversation's row lock: numbers commit in order, and a listener that sees 7 after 5 knows
that 6 is already stored. What this module answers:

- `append` numbers and keeps a transaction's events (the caller holds the conversation's
  lock from the start of its transaction, see `lock_for_events`).
- `since` / `between`: what a reconnecting listener, or one that saw a gap, missed.
- `unpublished_about_message` / `mark_published`: a publish that never succeeded is redone
  when the agent resubmits the same reply (same client id).
- `LiveEventLog`: the async reads above for app/live's bus (its `EventLog` protocol).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from app.db.engine import in_thread_transaction
from app.db.models import Conversation, LiveEvent, utc_now

Event = dict[str, Any]

KEEP = timedelta(days=1)  # replay needs minutes; a day leaves room for a long outage


def lock_for_events(session: Session, conversation_id: str) -> None:
    """Take the conversation's row lock that numbering its events needs. Called first in a
    transaction, so that every transaction that announces something about a conversation
    takes its locks in the same order (conversation first) and none waits on another's.
    SQLite ignores FOR UPDATE: a no-op write there takes its database write lock at once."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(id=Conversation.id)
        )
        return
    session.execute(
        select(Conversation.id).where(Conversation.id == conversation_id).with_for_update()
    )


def append(session: Session, events: Sequence[Event]) -> list[Event]:
    """Number `events` per conversation (the next `seq` after the last stored) and keep them;
    returns them with their `seq`. Events that name no conversation, and events numbered
    already (read back from the log to be published again), are returned as they are. The
    caller holds each conversation's lock (`lock_for_events`)."""
    numbered: list[Event] = []
    next_seq: dict[str, int] = {}
    now = utc_now()
    for event in events:
        conversation_id = event.get("conversation_id")
        if not isinstance(conversation_id, str) or "seq" in event:
            numbered.append(event)
            continue
        if conversation_id not in next_seq:
            last = session.scalar(
                select(func.max(LiveEvent.seq)).where(LiveEvent.conversation_id == conversation_id)
            )
            next_seq[conversation_id] = (last or 0) + 1
            session.execute(
                delete(LiveEvent).where(
                    LiveEvent.conversation_id == conversation_id,
                    LiveEvent.created_at < now - KEEP,
                    LiveEvent.seq < next_seq[conversation_id] - 1,  # the last number stays
                )
            )
        seq = next_seq[conversation_id]
        next_seq[conversation_id] = seq + 1
        event = {**event, "seq": seq}
        message_id = event.get("message_id")
        session.add(
            LiveEvent(
                conversation_id=conversation_id, seq=seq, kind=str(event.get("kind", "")),
                message_id=message_id if isinstance(message_id, str) else None,
                payload=event, created_at=now,
            )
        )  # fmt: skip
        numbered.append(event)
    session.flush()
    return numbered


def since(session: Session, moment: datetime) -> list[Event]:
    """Every kept event stored at or after `moment`, oldest first (per conversation, by seq)."""
    rows = session.scalars(
        select(LiveEvent)
        .where(LiveEvent.created_at >= moment)
        .order_by(LiveEvent.created_at, LiveEvent.conversation_id, LiveEvent.seq)
    )
    return [dict(row.payload) for row in rows]


def between(
    session: Session,
    conversation_id: str,
    after: int,
    before: int,
    not_before: datetime | None = None,
) -> list[Event]:
    """The conversation's events numbered after `after` and before `before`, in order (only
    those stored at or after `not_before`, when given)."""
    query = select(LiveEvent).where(
        LiveEvent.conversation_id == conversation_id,
        LiveEvent.seq > after,
        LiveEvent.seq < before,
    )
    if not_before is not None:
        query = query.where(LiveEvent.created_at >= not_before)
    return [dict(row.payload) for row in session.scalars(query.order_by(LiveEvent.seq))]


def unpublished_about_message(
    session: Session, conversation_id: str, message_id: str
) -> list[Event]:
    """The conversation's events about `message_id` that were never published."""
    rows = session.scalars(
        select(LiveEvent)
        .where(
            LiveEvent.conversation_id == conversation_id,
            LiveEvent.message_id == message_id,
            LiveEvent.published_at.is_(None),
        )
        .order_by(LiveEvent.seq)
    )
    return [dict(row.payload) for row in rows]


def mark_published(session: Session, events: Sequence[Event]) -> None:
    """Note that `events` (as `append` returned them) went out."""
    by_conversation: dict[str, list[int]] = {}
    for event in events:
        conversation_id, seq = event.get("conversation_id"), event.get("seq")
        if isinstance(conversation_id, str) and isinstance(seq, int):
            by_conversation.setdefault(conversation_id, []).append(seq)
    now = utc_now()
    for conversation_id, seqs in by_conversation.items():
        session.execute(
            update(LiveEvent)
            .where(
                LiveEvent.conversation_id == conversation_id,
                LiveEvent.seq.in_(seqs),
                LiveEvent.published_at.is_(None),
            )
            .values(published_at=now)
        )


class LiveEventLog:
    """The log's reads for a bus (app/live's `EventLog`), each in a worker thread."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def since(self, moment: datetime) -> list[Event]:
        return await in_thread_transaction(self._engine, lambda session: since(session, moment))

    async def between(
        self, conversation_id: str, after: int, before: int, not_before: datetime | None = None
    ) -> list[Event]:
        return await in_thread_transaction(
            self._engine,
            lambda session: between(session, conversation_id, after, before, not_before),
        )
