"""What a customer waiting for a person is told, on real databases (PostgreSQL and SQLite
through the real migrations) with the clock injected: their place in the queue, the wait
measured from recent conversations, an acknowledgement of each message they add, and outside
opening hours when the team opens, while the conversation waits for the next shift."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db import agents as db_agents
from app.db import escalations as repo
from app.db.models import Escalation, utc_now
from app.ground.config import HandoffSettings
from app.handoff.service import Handoff
from app.handoff.views import Actor
from app.live.bus import LocalBus
from app.pipeline.triage import triage
from tests.integration.test_handoff import (
    Recorder,
    agent,
    conversation,
    customer_sees,
    database,
)

__all__ = ["database"]  # the fixture, shared with the handoff tests

MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
SATURDAY_NOON = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def online(engine: Engine, name: str) -> Actor:
    """An agent with the live console open (its login's heartbeat just now)."""
    actor = agent(engine, name)
    with Session(engine) as session, session.begin():
        login = db_agents.create_session(
            session, agent_id=actor.agent_id, lifetime=timedelta(hours=1)
        )
        db_agents.mark_seen(session, session_id=login.id, at=utc_now())
    return actor


def handoff_at(engine: Engine, clock: Clock, **settings: str) -> Handoff:
    return Handoff(engine, LocalBus(), HandoffSettings(**settings), clock=clock)


def notices(engine: Engine, conversation_id: str) -> list[str]:
    return [text for role, text in customer_sees(engine, conversation_id) if role == "system"]


def test_a_queued_customer_hears_their_place_and_each_added_message_is_acknowledged(
    database: tuple[str, Engine],
) -> None:
    _, engine = database
    clock = Clock(MONDAY_10)
    handoff = handoff_at(engine, clock, opening_hours="mon-fri 09:00-17:00")
    first = conversation(engine, "Please put me through to an agent about my LR-200.")
    second = conversation(engine, "Can a person help me with my AP-2 setup?")
    ana = online(engine, "Ana")

    async def scenario() -> None:
        await handoff.escalate(first, "asked_for_human")
        clock.now += timedelta(minutes=1)
        await handoff.escalate(second, "asked_for_human")
        assert "You're next in the queue" in notices(engine, first)[-1]
        said = notices(engine, second)[-1]
        # Nobody was claimed this week yet: the operator's own words stand in for a figure.
        assert "You're number 2 in the queue; a person will reply right here, usually" in said

        await handoff.customer_message_arrived(second, "m-added")
        assert notices(engine, second)[-1].startswith("Thanks, that's added to your request")
        assert "number 2 in the queue" in notices(engine, second)[-1]

        await handoff.claim(ana, first)  # the second customer moves up
        await handoff.customer_message_arrived(second, "m-added-2")
        assert "You're next in the queue" in notices(engine, second)[-1]

        # A message added once a person has the conversation gets that person's reply, not
        # another notice from the bot.
        before = len(notices(engine, first))
        await handoff.customer_message_arrived(first, "m-to-ana")
        assert len(notices(engine, first)) == before

    asyncio.run(scenario())


def test_the_wait_quoted_is_measured_from_conversations_claimed_lately(
    database: tuple[str, Engine],
) -> None:
    _, engine = database
    handoff = handoff_at(engine, Clock(MONDAY_10))
    claimed = [conversation(engine, f"Please get me a person, case {n}.") for n in range(3)]
    waiting = conversation(engine, "I'd like to talk to someone about a refund.")
    online(engine, "Ana")

    async def scenario() -> None:
        for cid in claimed:
            await handoff.escalate(cid, "asked_for_human")
        # Claimed 3, 5 and 20 minutes after queueing, within the last week: median 5 minutes.
        with Session(engine) as session, session.begin():
            rows = session.scalars(
                select(Escalation).where(Escalation.conversation_id.in_(claimed))
            ).all()
            for row, minutes in zip(rows, (3, 5, 20), strict=True):
                row.state, row.queued_at = "assigned", MONDAY_10 - timedelta(hours=1)
                row.assigned_at = row.queued_at + timedelta(minutes=minutes)
        await handoff.escalate(waiting, "asked_for_human")
        said = notices(engine, waiting)[-1]
        assert "You're next in the queue; lately people have waited about 5 minutes" in said

    asyncio.run(scenario())


def test_outside_opening_hours_a_left_message_waits_for_the_next_shift(
    database: tuple[str, Engine],
) -> None:
    _, engine = database
    clock = Clock(SATURDAY_NOON)
    handoff = handoff_at(engine, clock, opening_hours="mon-fri 09:00-17:00", timezone="UTC")
    weekend = conversation(engine, "My LR-200 drops Wi-Fi every evening, can someone call me?")

    async def scenario() -> None:
        await handoff.escalate(weekend, "asked_for_human")
        said = notices(engine, weekend)[-1]
        assert "away right now (we're open mon-fri 09:00-17:00)" in said
        assert "Monday at 09:00 (UTC)" in said and "e-mail address or phone number" in said

        # The customer leaves a way to reach them: acknowledged, and it reaches the brief.
        contact = "You can reach me at sam.lee@example.net"
        message_id = _add_customer_message(engine, weekend, contact)
        await handoff.customer_message_arrived(weekend, message_id)
        assert "Monday at 09:00" in notices(engine, weekend)[-1]
        await handoff.record_customer_turn(weekend, message_id, triage(contact).to_json(), None)

        clock.now = datetime(2026, 12, 7, 9, 1, tzinfo=UTC)  # Monday morning, the next shift
        queue = await handoff.queue(state="queued")
        assert [item.conversation_id for item in queue] == [weekend]
        view = await handoff.conversation(weekend)
        assert view.escalation is not None
        emails = [e["value"] for e in view.escalation.entities if e["kind"] == "email"]
        assert emails == ["sam.lee@example.net"]

    asyncio.run(scenario())


def _add_customer_message(engine: Engine, conversation_id: str, text: str) -> str:
    with Session(engine) as session, session.begin():
        message_id = "left-message"
        repo.add_message(
            session, conversation_id=conversation_id, message_id=message_id, role="customer",
            author="customer", text=text,
        )  # fmt: skip
    return message_id


def test_events_say_when_a_conversation_is_new_and_whose_customer_wrote(
    database: tuple[str, Engine],
) -> None:
    """What the console's alerts go by: a new queue entry is marked new (a refreshed one is
    not), and a customer's message names the agent who has the conversation."""
    _, engine = database
    handoff = handoff_at(engine, Clock(MONDAY_10))
    recorder = Recorder()
    handoff.bus = recorder  # type: ignore[assignment]
    cid = conversation(engine, "Please put me through to a person about my SW-8.")
    ana = agent(engine, "Ana")

    async def scenario() -> None:
        await handoff.escalate(cid, "asked_for_human")
        await handoff.escalate(cid, "complaint")  # a further reason: the same entry
        await handoff.customer_message_arrived(cid, "waiting")
        await handoff.claim(ana, cid)
        await handoff.customer_message_arrived(cid, "to-ana")

    asyncio.run(scenario())
    queued = [e["new"] for e in recorder.events if e["kind"] == "escalation" and "new" in e]
    assert queued[:2] == [True, False]
    customer = {
        e["message_id"]: e.get("assigned_to")
        for e in recorder.events
        if e["kind"] == "message" and e["role"] == "customer"
    }
    assert customer == {"waiting": None, "to-ana": ana.agent_id}


def test_with_nobody_online_the_customer_is_told_so_instead_of_a_place(
    database: tuple[str, Engine],
) -> None:
    _, engine = database
    clock = Clock(utc_now())
    handoff = handoff_at(engine, clock, opening_hours="")  # always open
    first, second = (conversation(engine, f"Can a person look at my LR-200, case {n}?")
                     for n in "ab")  # fmt: skip
    ana = agent(engine, "Ana")  # has an account, but no console open

    async def scenario() -> None:
        await handoff.escalate(first, "asked_for_human")
        assert "Nobody from our support team is online right now" in notices(engine, first)[-1]
        assert "reply right here when they're back" in notices(engine, first)[-1]
        with Session(engine) as session, session.begin():  # Ana opens the console
            login = db_agents.create_session(
                session, agent_id=ana.agent_id, lifetime=timedelta(hours=1)
            )
            db_agents.mark_seen(session, session_id=login.id, at=utc_now())
        clock.now += timedelta(seconds=1)
        await handoff.escalate(second, "asked_for_human")
        assert "You're number 2 in the queue" in notices(engine, second)[-1]
        with Session(engine) as session, session.begin():  # and closes it
            db_agents.mark_seen(session, session_id=login.id, at=None)
        await handoff.customer_message_arrived(second, "added")
        assert "Nobody from our support team is online" in notices(engine, second)[-1]

    asyncio.run(scenario())
