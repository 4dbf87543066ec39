"""The live events' log: each conversation's events numbered 1, 2, 3... and kept for a day.

Live events (app/live) say "look now" to every app process. The handoff appends them here at
the end of the transaction that made the change they announce. The number comes from the
conversation's counter row (`sb_live_counters`), incremented as the transaction's last
statement: its row lock is held only from there to the commit, so two transactions that
number events of one conversation commit in the order of their numbers (a listener that sees
7 after 5 knows that 6 is already stored), and since no transaction waits on another lock
after taking it, numbering adds no deadlock. What this module answers:

- `append` numbers and keeps a transaction's events.
- `since` / `between`: what a reconnecting listener, or one that saw a gap, missed.
- `unpublished_about_message` / `mark_published`: a reply whose publish never succeeded is
  published again when the agent resubmits it (same client id).
- `LiveEventLog`: the async reads above for app/live's bus (its `EventLog` protocol).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.engine import in_thread_transaction
from app.db.models import LiveCounter, LiveEvent, utc_now

Event = dict[str, Any]

KEEP = timedelta(days=1)  # replay needs minutes; a day leaves room for a long outage


def _take_numbers(session: Session, conversation_id: str, count: int) -> int:
    """Reserve `count` numbers for the conversation; returns the first. Locks its counter row
    until the commit: call it last."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = (
        insert(LiveCounter)
        .values(conversation_id=conversation_id, last_seq=count)
        .on_conflict_do_update(
            index_elements=[LiveCounter.conversation_id],
            set_={"last_seq": LiveCounter.last_seq + count},
        )
        .returning(LiveCounter.last_seq)
    )
    last = session.execute(upsert).scalar_one()
    return int(last) - count + 1


def append(session: Session, events: Sequence[Event]) -> list[Event]:
    """Number `events` per conversation and keep them; returns them with their `seq`. Call it
    last in the transaction (see the module docstring). Events that name no conversation,
    and events numbered already (read back from the log to be published again), are
    returned as they are."""
    session.flush()  # the transaction's own writes (and their row locks) come first
    fresh: dict[str, list[int]] = {}  # conversation -> positions in `events` to number
    for position, event in enumerate(events):
        conversation_id = event.get("conversation_id")
        if isinstance(conversation_id, str) and "seq" not in event:
            fresh.setdefault(conversation_id, []).append(position)
    numbered = list(events)
    now = utc_now()
    for conversation_id, positions in fresh.items():
        session.execute(
            delete(LiveEvent).where(
                LiveEvent.conversation_id == conversation_id, LiveEvent.created_at < now - KEEP
            )
        )
        first = _take_numbers(session, conversation_id, len(positions))
        for seq, position in enumerate(positions, start=first):
            event = {**events[position], "seq": seq}
            message_id = event.get("message_id")
            session.add(
                LiveEvent(
                    conversation_id=conversation_id, seq=seq, kind=str(event.get("kind", "")),
                    message_id=message_id if isinstance(message_id, str) else None,
                    payload=event, created_at=now,
                )
            )  # fmt: skip
            numbered[position] = event
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
