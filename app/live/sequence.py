"""Each conversation's live events delivered once and in order, whatever the wire did.

The handoff numbers a conversation's events (`seq`: 1, 2, 3...) in the transaction that
stores them (app/db/live_events.py), under the conversation's row lock, so the numbers commit
in order. A process's bus passes every event it receives through one `Sequencer`:

- a number seen already is dropped (a publish retried after a timeout, a resubmitted reply,
  a replay that overlaps what arrived live);
- a number past a gap (7 after 5) first brings what is missing from the event log, in order:
  an event whose publish failed and is being retried, or two transactions published in the
  other order;
- events that carry no number (a console logout) pass through as they are.

A conversation this process has not heard of yet starts at whatever number arrives, plus
the missing ones stored since the process started listening: earlier ones were never owed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)

Event = dict[str, Any]

# Conversations whose last number a process remembers; beyond it the oldest are forgotten
# (one forgotten long ago and heard of again is treated as new: see the module docstring).
MEMORY = 100_000


class EventLog(Protocol):
    """Where numbered events are kept (app/db/live_events.LiveEventLog)."""

    async def since(self, moment: datetime) -> list[Event]:
        """Every kept event stored at or after `moment`, per conversation in order."""
        ...

    async def between(
        self, conversation_id: str, after: int, before: int, not_before: datetime | None = None
    ) -> list[Event]:
        """The conversation's events numbered strictly between `after` and `before`."""
        ...


class Sequencer:
    """`await sequencer.admit(event)` -> the events to deliver now, in order (maybe none)."""

    def __init__(self, log: EventLog | None = None, *, memory: int = MEMORY) -> None:
        self.log = log
        self.started_at = datetime.now(UTC)
        self._last: OrderedDict[str, int] = OrderedDict()
        self._memory = memory
        self._lock = asyncio.Lock()  # one admission at a time: a gap read must not interleave

    async def admit(self, event: Event) -> list[Event]:
        conversation_id, seq = event.get("conversation_id"), event.get("seq")
        if not isinstance(conversation_id, str) or not isinstance(seq, int):
            return [event]
        async with self._lock:
            last = self._last.get(conversation_id)
            if last is not None and seq <= last:
                return []  # delivered already
            missed: list[Event] = []
            if self.log is not None and seq > (last or 0) + 1:
                missed = await self._missed(conversation_id, last, seq)
            self._remember(conversation_id, seq)
            return [*missed, event]

    async def _missed(self, conversation_id: str, last: int | None, seq: int) -> list[Event]:
        assert self.log is not None
        # Not heard of before: only what was stored since this process listens is owed.
        not_before = self.started_at if last is None else None
        try:
            found = await self.log.between(conversation_id, last or 0, seq, not_before)
        except Exception:  # the live event still goes out; a page load shows the rest
            log.exception("live: could not read the events missed in %s", conversation_id)
            return []
        return [e for e in found if isinstance(e.get("seq"), int)]

    def _remember(self, conversation_id: str, seq: int) -> None:
        self._last[conversation_id] = seq
        self._last.move_to_end(conversation_id)
        while len(self._last) > self._memory:
            self._last.popitem(last=False)
