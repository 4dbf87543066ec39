"""Live events on PostgreSQL are not lost: a listener whose connection is cut delivers what
was published meanwhile once it is back, in order; a publish that fails after the commit is
retried; a resubmitted reply publishes again what never went out (issue 15, item 7)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from app.db.engine import make_engine, upgrade
from app.db.live_events import LiveEventLog
from app.handoff.service import Handoff
from app.live.bus import PostgresBus
from tests.integration.conftest import fresh_postgres_database
from tests.integration.test_handoff import agent, conversation, make_handoff

WAIT_S = 20  # generous: a condition, not a pace


@pytest.fixture
def postgres() -> Iterator[tuple[str, Engine]]:
    with ExitStack() as stack:
        url = stack.enter_context(fresh_postgres_database())
        upgrade(url)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        yield url, engine


class HeldListener(PostgresBus):
    """A process's bus whose listener, once cut off, waits for the test to let it reconnect."""

    def __init__(self, url: str, engine: Engine) -> None:
        super().__init__(url, event_log=LiveEventLog(engine))
        self.cut_off = asyncio.Event()
        self.may_reconnect = asyncio.Event()

    async def _pause_before_reconnect(self) -> None:
        self.cut_off.set()
        await self.may_reconnect.wait()


class FailingBus(PostgresBus):
    """A publisher whose publishes of an agent's reply fail `failures` times (the connection
    to PostgreSQL broke just after the commit)."""

    def __init__(self, url: str, failures: int) -> None:
        super().__init__(url)
        self.failures = failures

    async def publish(self, event: dict[str, Any]) -> None:
        if event.get("role") == "agent" and self.failures > 0:
            self.failures -= 1
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        await super().publish(event)


async def next_events(events: AsyncIterator[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    return [await asyncio.wait_for(anext(events), WAIT_S) for _ in range(n)]


async def agent_replies(
    events: AsyncIterator[dict[str, Any]], n: int, quiet_s: float = 1.0
) -> list[dict[str, Any]]:
    """The agents' message events among those delivered: `n` of them, then whatever more
    arrives before the bus has been quiet for `quiet_s` (a duplicate would show here)."""
    got: list[dict[str, Any]] = []
    while len(got) < n:
        event = await asyncio.wait_for(anext(events), WAIT_S)
        if event.get("role") == "agent":
            got.append(event)
    while True:
        try:
            event = await asyncio.wait_for(anext(events), quiet_s)
        except TimeoutError:
            return got
        if event.get("role") == "agent":
            got.append(event)


def terminate_listener(url: str) -> None:
    """Kill the backend of the one LISTEN connection on the test's database."""
    database = url.rsplit("/", 1)[1]
    admin = make_engine(url)
    try:
        with admin.connect() as connection:
            killed = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND query LIKE 'LISTEN%'"
                ),
                {"db": database},
            ).all()
        assert killed == [(True,)]
    finally:
        admin.dispose()


def test_a_listener_cut_off_delivers_every_event_in_order_after_reconnecting(
    postgres: tuple[str, Engine],
) -> None:
    url, engine = postgres
    first = conversation(engine, "My LR-200 drops the connection.")
    second = conversation(engine, "Where is my order 55123?")

    async def scenario() -> list[tuple[str, str]]:
        publisher = PostgresBus(url)  # the console's process: it only publishes here
        listener = HeldListener(url, engine)  # the chat's process
        handoff = make_handoff(engine, publisher)
        await listener.start()
        try:
            async with listener.subscribe() as events:
                await handoff.customer_message_arrived(first, "m1")
                got = await next_events(events, 1)

                await asyncio.to_thread(terminate_listener, url)
                await asyncio.wait_for(listener.cut_off.wait(), WAIT_S)
                # Published while nobody in the chat's process listens:
                for message_id in ("m2", "m3"):
                    await handoff.customer_message_arrived(first, message_id)
                await handoff.customer_message_arrived(second, "n1")
                await handoff.customer_message_arrived(first, "m4")
                listener.may_reconnect.set()
                await handoff.customer_message_arrived(first, "m5")  # after, or during, it

                got += await next_events(events, 5)
                with pytest.raises(TimeoutError):  # nothing delivered twice
                    await asyncio.wait_for(anext(events), 1.0)
        finally:
            await handoff.aclose()
            await listener.aclose()
            await publisher.aclose()
        return [(e["conversation_id"], e["message_id"]) for e in got]

    got = asyncio.run(scenario())
    mine = [m for c, m in got if c == first]
    assert mine == ["m1", "m2", "m3", "m4", "m5"]  # every one, once, in order
    assert [m for c, m in got if c == second] == ["n1"]


def test_a_publish_that_fails_after_the_commit_is_retried(postgres: tuple[str, Engine]) -> None:
    url, engine = postgres
    ana = agent(engine, "Ana")
    cid = conversation(engine, "Please put me through to an agent.")

    async def scenario() -> tuple[str, list[dict[str, Any]]]:
        chat = PostgresBus(url, event_log=LiveEventLog(engine))
        console: Handoff = make_handoff(engine, FailingBus(url, failures=1))
        await chat.start()
        try:
            async with chat.subscribe() as events:
                await console.escalate(cid, "asked_for_human")
                await console.claim(ana, cid)
                reply_id = await console.reply(ana, cid, "Hello, Ana here.", str(uuid.uuid4()))
                got = await agent_replies(events, 1)
        finally:
            await console.aclose()
            await console.bus.aclose()
            await chat.aclose()
        return reply_id, got

    reply_id, got = asyncio.run(scenario())
    assert [(e["kind"], e["role"], e["message_id"]) for e in got] == [
        ("message", "agent", reply_id)
    ]


def test_a_resubmitted_reply_publishes_what_never_went_out(postgres: tuple[str, Engine]) -> None:
    url, engine = postgres
    ana = agent(engine, "Ana")
    cid = conversation(engine, "Please put me through to an agent.")
    client_id = str(uuid.uuid4())

    async def scenario() -> list[dict[str, Any]]:
        chat = PostgresBus(url, event_log=LiveEventLog(engine))
        await chat.start()
        down = make_handoff(engine, FailingBus(url, failures=1_000))
        try:
            async with chat.subscribe() as events:
                await down.escalate(cid, "asked_for_human")
                await down.claim(ana, cid)
                await down.reply(ana, cid, "Hello, Ana here.", client_id)  # stored, not sent
                await down.aclose()  # that process stops before a retry works
                await down.bus.aclose()
                # The agent sends the form again (same client id), to another process.
                again = make_handoff(engine, PostgresBus(url))
                try:
                    await again.reply(ana, cid, "Hello, Ana here.", client_id)
                    await again.reply(ana, cid, "Hello, Ana here.", client_id)  # once more
                    got = await agent_replies(events, 1)
                finally:
                    await again.aclose()
                    await again.bus.aclose()
        finally:
            await chat.aclose()
        return got

    got = asyncio.run(scenario())
    assert [(e["kind"], e["role"], e["message_id"]) for e in got] == [
        ("message", "agent", client_id)
    ]


def test_concurrent_announcements_are_numbered_without_gaps_and_delivered_in_order(
    postgres: tuple[str, Engine],
) -> None:
    url, engine = postgres
    cid = conversation(engine, "Hello?")
    count = 20

    async def scenario() -> list[dict[str, Any]]:
        chat = PostgresBus(url, event_log=LiveEventLog(engine))
        console = make_handoff(engine, PostgresBus(url))
        await chat.start()
        try:
            async with chat.subscribe() as events:
                await asyncio.gather(
                    *(console.customer_message_arrived(cid, f"m{n}") for n in range(count))
                )
                return await next_events(events, count)
        finally:
            await console.aclose()
            await console.bus.aclose()
            await chat.aclose()

    got = asyncio.run(scenario())
    assert [e["seq"] for e in got] == list(range(1, count + 1))
    assert sorted(e["message_id"] for e in got) == sorted(f"m{n}" for n in range(count))
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT seq FROM sb_live_events WHERE conversation_id = :c ORDER BY seq"),
            {"c": cid},
        ).scalars()
        assert list(stored) == list(range(1, count + 1))
