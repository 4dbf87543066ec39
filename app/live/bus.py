"""Live events between app processes: "an escalation arrived", "an agent replied".

The database is the record; the bus only says "look now". Every event names rows that were
committed before it was published. A conversation's events are numbered (`seq`) and kept in
the event log (app/db/live_events.py), and every event a process receives passes through its
`Sequencer` (app/live/sequence.py) before the subscribers see it: each number is delivered
once, in order, and a gap is filled from the log. So nothing is lost when a listener's
connection drops: on reconnecting it reads from the log what was stored meanwhile.

- `LocalBus`: delivery inside one process (SQLite deployments are one process).
- `PostgresBus`: PostgreSQL LISTEN/NOTIFY, so that a reply posted in the console on one app
  process reaches a customer whose socket lives on another. Each process keeps one listening
  connection; its own notifications come back through it too, so publishing never delivers
  locally a second time.

`publish` tries once (reconnecting once); retrying a failed publish is the publisher's
business (app/live/relay.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import make_url

from app.live.sequence import Event, EventLog, Sequencer

__all__ = ["CHANNEL", "Bus", "Event", "EventLog", "LocalBus", "PostgresBus", "make_bus"]

log = logging.getLogger(__name__)

CHANNEL = "supportbot_events"
_QUEUE_LIMIT = 1000  # a subscriber that falls this far behind loses the oldest events
# After a reconnect the listener replays the log from this long before it noticed the loss:
# an event stamped in a transaction just before, published just after, is then not missed,
# nor one stamped by a machine whose clock is a little behind (the sequencer drops what was
# delivered already).
REPLAY_MARGIN = timedelta(seconds=30)


class Bus:
    """Fan-out to the subscribers of this process; subclasses carry events between processes.

    `event_log` fills gaps in a conversation's numbers (none: gaps are not filled)."""

    def __init__(self, event_log: EventLog | None = None) -> None:
        self._subscribers: set[asyncio.Queue[Event]] = set()
        self._sequencer = Sequencer(event_log)

    async def start(self) -> None:
        """Connect (a no-op in-process)."""

    async def aclose(self) -> None:
        """Disconnect (a no-op in-process)."""

    async def publish(self, event: Event) -> None:
        """Deliver `event` (JSON-serialisable) to every subscriber, in every process."""
        await self._receive(event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Event]]:
        """`async with bus.subscribe() as events: async for event in events: ...`"""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=_QUEUE_LIMIT)
        self._subscribers.add(queue)
        try:
            yield _drain(queue)
        finally:
            self._subscribers.discard(queue)

    async def _receive(self, event: Event) -> None:
        """An event arrived: deliver it, and what it shows was missed, once and in order."""
        for admitted in await self._sequencer.admit(event):
            self._deliver(admitted)

    def _deliver(self, event: Event) -> None:
        for queue in list(self._subscribers):
            if queue.full():  # a stuck reader must not hold up everyone else
                queue.get_nowait()
            queue.put_nowait(event)


async def _drain(queue: asyncio.Queue[Event]) -> AsyncIterator[Event]:
    while True:
        yield await queue.get()


LocalBus = Bus


class PostgresBus(Bus):
    """Events through PostgreSQL NOTIFY on `CHANNEL`; `url` is the app's database URL."""

    def __init__(
        self, url: str, *, event_log: EventLog | None = None, reconnect_s: float = 1.0
    ) -> None:
        super().__init__(event_log)
        self._conninfo = (
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self._reconnect_s = reconnect_s
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._publisher: Any = None
        self._publish_lock = asyncio.Lock()

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="supportbot-bus-listener")
        await asyncio.wait_for(self._listening.wait(), timeout=10)

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._publisher is not None:
            await self._publisher.close()

    async def publish(self, event: Event) -> None:
        import psycopg

        payload = json.dumps(event, separators=(",", ":"))
        async with self._publish_lock:
            for attempt in (1, 2):
                try:
                    if self._publisher is None or self._publisher.closed:
                        self._publisher = await psycopg.AsyncConnection.connect(
                            self._conninfo, autocommit=True
                        )
                    await self._publisher.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                    return
                except psycopg.OperationalError:
                    self._publisher = None
                    if attempt == 2:
                        raise

    async def _listen(self) -> None:
        import psycopg

        lost_at: datetime | None = None  # when the listener last noticed it was cut off
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    # Listening again: what is published from now on arrives (it waits in the
                    # connection while the log is read); what was published while cut off
                    # is read from the log.
                    if lost_at is not None:
                        await self._catch_up(lost_at - REPLAY_MARGIN)
                        lost_at = None
                    self._listening.set()
                    async for notification in connection.notifies():
                        try:
                            event = json.loads(notification.payload)
                        except json.JSONDecodeError:
                            log.warning("bus: ignored a malformed event %r", notification.payload)
                            continue
                        await self._receive(event)
            except psycopg.OperationalError as exc:
                lost_at = lost_at or datetime.now(UTC)
                log.warning("bus: lost the PostgreSQL listener (%s); reconnecting", exc)
                await self._pause_before_reconnect()

    async def _pause_before_reconnect(self) -> None:
        """Wait a moment before connecting again (a database restarting refuses at first)."""
        await asyncio.sleep(self._reconnect_s)

    async def _catch_up(self, moment: datetime) -> None:
        """Deliver the logged events stored since `moment` that this process has not seen."""
        if self._sequencer.log is None:
            return
        try:
            missed = await self._sequencer.log.since(max(moment, self._sequencer.started_at))
        except Exception:  # the next event of each conversation fills its gap instead
            log.exception("bus: could not read the events missed while reconnecting")
            return
        for event in missed:
            await self._receive(event)


def make_bus(kind: str, database_url: str, event_log: EventLog | None = None) -> Bus:
    """The bus for the settings: PostgreSQL's when the database is PostgreSQL (or asked for);
    `event_log` fills the gaps (see the module docstring)."""
    is_postgres = make_url(database_url).get_backend_name() == "postgresql"
    if kind == "postgres" or (kind == "auto" and is_postgres):
        return PostgresBus(database_url, event_log=event_log)
    return LocalBus(event_log)
