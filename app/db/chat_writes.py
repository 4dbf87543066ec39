"""The order of a chat's writes, and the conversation service's own writes in that order.

Chainlit fires its step writes as tasks it does not await (create, then update, of the same
message). Running a conversation's writes one at a time, in the order they were issued, keeps
a late-starting create from overwriting the update that followed it; different conversations
write in parallel (one lock for all made 50 customers wait seconds for each other).

One `ChatWrites` per process is shared by Chainlit's data layer (app/chat/data_layer.py) and
the conversation service (app/conversation): a turn's own rows (a citation, a routing record)
queue behind the message writes Chainlit has fired, so they never race ahead of the message
they point at. Each write is one transaction in a worker thread; errors propagate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db import conversations as repo
from app.db import csat, steps
from app.db import routing as routing_repo
from app.db.engine import in_thread_transaction
from app.pipeline.types import RouteUsage, RoutingDecision

T = TypeVar("T")


def thread_key(thread_id: str | None) -> str:
    """The write-order key of a conversation's rows."""
    return f"thread:{thread_id or ''}"


class ChatWrites:
    """Reads, and writes ordered per key (usually a conversation); `ChatWrites(engine)`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._order: dict[str, asyncio.Lock] = {}
        self._queued: dict[str, int] = {}

    async def read(self, work: Callable[[Session], T]) -> T:
        return await in_thread_transaction(self._engine, work)

    async def write(self, key: str, work: Callable[[Session], T]) -> T:
        """Run `work` in a transaction after the writes issued before it under `key`."""
        lock = self._order.setdefault(key, asyncio.Lock())
        self._queued[key] = self._queued.get(key, 0) + 1
        try:
            async with lock:
                return await in_thread_transaction(self._engine, work)
        finally:
            self._queued[key] -= 1
            if not self._queued[key]:
                del self._queued[key], self._order[key]

    async def after_pending_writes(self, thread_id: str, work: Callable[[Session], T]) -> T:
        """Run `work` once the writes fired so far for the conversation have landed.

        A handler cannot wait for Chainlit's writes (`send()`/`update()` fire them as tasks),
        so a row written from its own session could otherwise race ahead of its message.
        """
        await asyncio.sleep(0)  # write tasks Chainlit has just created queue first
        return await self.write(thread_key(thread_id), work)

    # --- the conversation service's writes ----------------------------------------------

    async def take_customer_message(self, step: steps.Step) -> bool:
        """`steps.take_customer_message` in the conversation's write order."""
        return await self.write(
            thread_key(step.get("threadId")),
            lambda session: steps.take_customer_message(session=session, step=step),
        )

    async def record_citations(
        self, thread_id: str, message_id: str, citations: Sequence[dict[str, Any]]
    ) -> None:
        """`conversations.record_citations`, once the conversation's pending writes landed."""
        await self.after_pending_writes(
            thread_id, lambda session: repo.record_citations(session, message_id, citations)
        )

    async def record_routing(
        self,
        thread_id: str,
        message_id: str,
        decision: RoutingDecision,
        usage: dict[str, RouteUsage],
    ) -> None:
        """`routing.record_routing`, once the conversation's pending writes have landed."""
        await self.after_pending_writes(
            thread_id,
            lambda session: routing_repo.record_routing(
                session=session, message_id=message_id, decision=decision, usage=usage
            ),
        )

    async def settled(self, thread_id: str) -> None:
        """Wait until the writes fired so far for the conversation have landed."""
        await self.after_pending_writes(thread_id, lambda _session: None)

    async def rate_conversation(self, thread_id: str, survey_id: str, rating: int) -> bool:
        """`csat.rate` in the conversation's write order."""
        return await self.write(
            thread_key(thread_id),
            lambda session: csat.rate(
                session, survey_id=survey_id, conversation_id=thread_id, rating=rating
            ),
        )

    async def comment_on_rating(self, thread_id: str, survey_id: str, text: str) -> bool:
        """`csat.comment` in the conversation's write order."""
        return await self.write(
            thread_key(thread_id),
            lambda session: csat.comment(
                session, survey_id=survey_id, conversation_id=thread_id, text=text
            ),
        )
