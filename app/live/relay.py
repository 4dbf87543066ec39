"""Publishing after a commit, at least once: a publish that fails is retried until it works.

The handoff commits a change, then publishes the events that announce it. If the publish
fails (the database restarted, the connection dropped), the change is stored but nobody is
told: the customer would miss the agent's reply until a reload. `Relay.send` publishes a
transaction's events in order; when a publish fails it keeps them, and those sent after,
in a backlog that a background task retries with a growing pause until the bus takes them.
Publishing twice is harmless: listeners drop a conversation's number they have seen
(app/live/sequence.py). A caller that must know when a batch went out passes `on_published`
(the handoff marks a reply's events published, so a resubmitted reply publishes again only
what never went out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from app.live.sequence import Event

log = logging.getLogger(__name__)

Publish = Callable[[Event], Awaitable[None]]
Published = Callable[[Sequence[Event]], Awaitable[None]]
_Batch = tuple[list[Event], Published | None]


class Relay:
    """`Relay(publish)`; `await relay.send(events, on_published)`; `await relay.aclose()`."""

    def __init__(
        self, publish: Publish, *, first_pause_s: float = 0.05, max_pause_s: float = 2.0
    ) -> None:
        self._publish = publish
        self._first_pause_s = first_pause_s
        self._max_pause_s = max_pause_s
        self._backlog: deque[_Batch] = deque()
        self._retrying: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Events waiting for a retry."""
        return sum(len(batch) for batch, _ in self._backlog)

    async def send(self, events: Sequence[Event], on_published: Published | None = None) -> None:
        """Publish `events` in order now, or (after a failure, or behind earlier failures)
        in the background; then await `on_published(events)`, if given. Never raises for a
        failed publish."""
        batch = list(events)
        if not batch:
            return
        if self._backlog:  # earlier events wait for a retry: keep the order
            self._backlog.append((batch, on_published))
            return
        try:
            await self._publish_all(batch)
        except Exception as exc:
            log.warning("live: publishing failed (%s); retrying in the background", exc)
            self._backlog.append((batch, on_published))
            self._retrying = asyncio.create_task(self._retry(), name="supportbot-live-retry")
            return
        await _published(batch, on_published)

    async def aclose(self) -> None:
        """Stop retrying (what is left is in the event log: listeners read it on a gap)."""
        if self._retrying is not None:
            self._retrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrying

    async def _publish_all(self, batch: Sequence[Event]) -> None:
        for event in batch:
            await self._publish(event)

    async def _retry(self) -> None:
        pause = self._first_pause_s
        while self._backlog:
            await asyncio.sleep(pause)  # a back-off between attempts, not a synchronisation
            batch, on_published = self._backlog[0]
            try:
                await self._publish_all(batch)
            except Exception as exc:
                pause = min(pause * 2, self._max_pause_s)
                log.warning("live: publishing still fails (%s); next try in %.2f s", exc, pause)
                continue
            self._backlog.popleft()
            pause = self._first_pause_s
            await _published(batch, on_published)


async def _published(batch: Sequence[Event], on_published: Published | None) -> None:
    if on_published is None:
        return
    try:
        await on_published(batch)
    except Exception:  # only a resubmit would publish it again: harmless
        log.exception("live: could not note %d events as published", len(batch))
