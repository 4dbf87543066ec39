"""Live events between app processes: "an escalation arrived", "an agent replied".

The database is the record; the bus only says "look now". Every event names rows that were
committed before it was published, so a subscriber that misses one (a restart, a dropped
connection) loses nothing: it reads the same rows on its next page load or resume.

- `LocalBus`: delivery inside one process (SQLite deployments are one process).
- `PostgresBus`: PostgreSQL LISTEN/NOTIFY, so that a reply posted in the console on one app
  process reaches a customer whose socket lives on another. Each process keeps one listening
  connection; its own notifications come back through it too, so publishing never delivers
  locally a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

Event = dict[str, Any]
CHANNEL = "supportbot_events"
_QUEUE_LIMIT = 1000  # a subscriber that falls this far behind loses the oldest events


class Bus:
    """Fan-out to the subscribers of this process; subclasses carry events between processes."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[Event]] = set()

    async def start(self) -> None:
        """Connect (a no-op in-process)."""

    async def aclose(self) -> None:
        """Disconnect (a no-op in-process)."""

    async def publish(self, event: Event) -> None:
        """Deliver `event` (JSON-serialisable) to every subscriber, in every process."""
        self._deliver(event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[Event]]:
        """`async with bus.subscribe() as events: async for event in events: ...`"""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=_QUEUE_LIMIT)
        self._subscribers.add(queue)
        try:
            yield _drain(queue)
        finally:
            self._subscribers.discard(queue)

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

    def __init__(self, url: str, *, reconnect_s: float = 1.0) -> None:
        super().__init__()
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

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    async for notification in connection.notifies():
                        try:
                            self._deliver(json.loads(notification.payload))
                        except json.JSONDecodeError:
                            log.warning("bus: ignored a malformed event %r", notification.payload)
            except psycopg.OperationalError as exc:
                log.warning("bus: lost the PostgreSQL listener (%s); reconnecting", exc)
                await asyncio.sleep(self._reconnect_s)


def make_bus(kind: str, database_url: str) -> Bus:
    """The bus for the settings: PostgreSQL's when the database is PostgreSQL (or asked for)."""
    is_postgres = make_url(database_url).get_backend_name() == "postgresql"
    if kind == "postgres" or (kind == "auto" and is_postgres):
        return PostgresBus(database_url)
    return LocalBus()
