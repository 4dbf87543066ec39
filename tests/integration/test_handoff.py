"""The handoff state machine and the queue on real databases (PostgreSQL and SQLite, through
the real migrations), and the bus that carries its events between processes."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.chat.chainlit_dicts import step_dict
from app.conversation.rules import failures_escalate
from app.db.engine import make_engine, upgrade
from app.db.models import (
    Agent,
    AuditEntry,
    Conversation,
    Customer,
    Escalation,
    Feedback,
    Message,
    utc_now,
)
from app.ground.config import ConsoleSettings, HandoffSettings
from app.ground.errors import AppError
from app.ground.render import inert
from app.handoff import actions
from app.handoff.service import Handoff
from app.handoff.views import Actor
from app.live.bus import Bus, LocalBus, PostgresBus
from app.pipeline.triage import triage
from tests.integration.conftest import fresh_postgres_database


@pytest.fixture(params=["postgres", "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[tuple[str, Engine]]:
    with ExitStack() as stack:
        if request.param == "postgres":
            url = stack.enter_context(fresh_postgres_database())
        else:
            url = f"sqlite:///{tmp_path / 'handoff.db'}"
        upgrade(url)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        yield url, engine


class Recorder:
    """Every event published on a bus, for assertions."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def publish(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def make_handoff(engine: Engine, bus: Bus | None = None, **settings: Any) -> Handoff:
    return Handoff(
        engine,
        bus or LocalBus(),
        HandoffSettings(**settings),
        ConsoleSettings(max_reply_chars=200),
        assistant_name="Support assistant",
    )


def agent(engine: Engine, name: str, role: str = "agent") -> Actor:
    with Session(engine) as session, session.begin():
        row = Agent(
            username=name.lower(), display_name=name, role=role, password_hash="x", active=True
        )
        session.add(row)
        session.flush()
        return Actor(row.id, name, role)  # type: ignore[arg-type]


def conversation(engine: Engine, *customer_turns: str, bot: str = "") -> str:
    """A stored conversation: customer turns with their triage, the bot's answer after each."""
    conversation_id = str(uuid.uuid4())
    with Session(engine) as session, session.begin():
        session.add(Conversation(id=conversation_id, tags=[], metadata_={}))
        session.flush()
        moment = utc_now()
        for i, text in enumerate(customer_turns):
            turn = triage(text)
            session.add(
                Message(
                    id=str(uuid.uuid4()), conversation_id=conversation_id, role="customer",
                    type="user_message", name="customer", text=text,
                    metadata_={"triage": turn.to_json()},
                    created_at=moment + timedelta(seconds=2 * i),
                )
            )  # fmt: skip
            if bot:
                session.add(
                    Message(
                        id=str(uuid.uuid4()), conversation_id=conversation_id, role="assistant",
                        type="assistant_message", name="Support assistant", text=bot,
                        metadata_={"answer_kind": "answer"},
                        created_at=moment + timedelta(seconds=2 * i + 1),
                    )
                )  # fmt: skip
    return conversation_id


def state(engine: Engine, conversation_id: str) -> tuple[str, str | None]:
    with Session(engine) as session:
        conv = session.get(Conversation, conversation_id)
        esc = session.scalars(
            select(Escalation).where(Escalation.conversation_id == conversation_id)
        ).first()
        assert conv is not None
        return conv.status, esc.state if esc else None


def customer_sees(engine: Engine, conversation_id: str) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.role != "customer")
            .order_by(Message.created_at, Message.id)
        )
        return [(m.role, m.text) for m in rows]


def test_the_whole_handoff_and_its_refusals(database: tuple[str, Engine]) -> None:
    _, engine = database
    recorder = Recorder()
    handoff = make_handoff(engine)
    handoff.bus = recorder  # type: ignore[assignment]
    ana, ben = agent(engine, "Ana"), agent(engine, "Ben")
    sue = agent(engine, "Sue", "supervisor")
    cid = conversation(
        engine,
        "My LR-200 keeps dropping the connection every hour.",
        "This is ridiculous, third week of this. Order 884213, serial LR2-00917.",
        bot="Update the firmware [1].",
    )

    async def scenario() -> None:
        first = await handoff.escalate(cid, "complaint", "angry")
        assert first.created and first.state == "queued"
        again = await handoff.escalate(cid, "asked_for_human")
        assert not again.created and again.state == "queued"  # once per conversation
        view = await handoff.conversation(cid)
        escalation = view.escalation
        assert escalation is not None
        assert escalation.reasons == ["complaint", "asked_for_human"]
        assert "LR-200 keeps dropping" in escalation.summary
        assert "Update the firmware" in escalation.bot_suggested
        values = {(e["kind"], e["value"]) for e in escalation.entities}
        assert ("order", "884213") in values and ("model", "LR-200") in values
        assert escalation.sentiment["label"] == "negative"
        assert escalation.priority <= 2  # a complaint with an order number

        with pytest.raises(AppError) as refused:
            await handoff.reply(ana, cid, "Hello", str(uuid.uuid4()))
        assert refused.value.code == "handoff_conflict"  # nobody has claimed it yet

        await handoff.claim(ana, cid)
        with pytest.raises(AppError) as taken:
            await handoff.claim(ben, cid)
        assert taken.value.code == "handoff_conflict"
        with pytest.raises(AppError) as not_theirs:
            await handoff.reply(ben, cid, "Hi", str(uuid.uuid4()))
        assert not_theirs.value.code == "handoff_conflict"
        with pytest.raises(AppError) as forbidden:
            await handoff.resolve(ben, cid)
        assert forbidden.value.code == "forbidden"
        with pytest.raises(AppError):
            await handoff.assign(ana, cid, ben.agent_id)  # agents do not reassign

        client_id = str(uuid.uuid4())
        assert await handoff.reply(ana, cid, "Sorry about this, checking now.", client_id) == (
            client_id
        )
        await handoff.reply(ana, cid, "Sorry about this, checking now.", client_id)  # resent
        await handoff.add_note(ana, cid, "Known firmware bug, see KB-1009")
        await handoff.assign(sue, cid, ben.agent_id)  # a supervisor moves it to Ben
        await handoff.release(ben, cid)
        assert state(engine, cid) == ("queued", "queued")
        await handoff.claim(ben, cid)
        await handoff.resolve(ben, cid)
        assert state(engine, cid) == ("bot", "resolved")
        with pytest.raises(AppError):
            await handoff.resolve(ben, cid)  # nothing left to resolve

        reopened = await handoff.escalate(cid, "repeated_failure")
        assert reopened.created and reopened.state == "queued"
        view = await handoff.conversation(cid)
        assert view.escalation is not None and view.escalation.times_escalated == 2
        assert view.escalation.reasons == ["repeated_failure"]
        assert [n.text for n in view.notes] == ["Known firmware bug, see KB-1009"]

    asyncio.run(scenario())

    seen = customer_sees(engine, cid)
    agent_replies = [text for role, text in seen if role == "agent"]
    assert agent_replies == ["Sorry about this, checking now."]  # stored once
    notices = [text for role, text in seen if role == "system"]
    assert notices[0].startswith("I've passed this conversation to our support team")
    assert "Ana from our support team has joined" in notices[1]
    assert "Ben from our support team has joined" in notices[2]
    assert "Ben has marked this conversation as resolved" in notices[-2]
    assert notices[-1].startswith("I've passed this conversation")  # the second escalation
    kinds = [(e["kind"], e.get("role")) for e in recorder.events]
    assert kinds.count(("message", "agent")) == 1  # pushed once, after it was stored
    with Session(engine) as session:
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [
        "escalated", "claimed", "replied", "noted", "reassigned", "released", "claimed",
        "resolved", "escalated",
    ]  # fmt: skip


def test_queue_is_ordered_by_priority_then_waiting_time_and_filters(
    database: tuple[str, Engine],
) -> None:
    _, engine = database
    handoff = make_handoff(engine, aging_minutes=15)
    ana = agent(engine, "Ana")
    calm = conversation(engine, "Can I speak to a person about my LR-200 setup?")
    angry = conversation(
        engine, "Absolutely furious. Your AP-2 died after two days, order 55123. Useless!"
    )
    safety = conversation(engine, "My SW-8 is smoking!")
    older = conversation(engine, "Please put me through to an agent.")

    async def scenario() -> None:
        await handoff.escalate(older, "asked_for_human")
        await handoff.escalate(calm, "asked_for_human")
        await handoff.escalate(angry, "complaint")
        await handoff.escalate(safety, "policy_topic")
        # The customer's message carried the topic; the chat records it with the turn.
        with Session(engine) as session, session.begin():
            message = session.scalars(
                select(Message).where(Message.conversation_id == safety, Message.role == "customer")
            ).one()
            message.metadata_ = {**message.metadata_, "policy_topic": "safety"}
        await handoff.escalate(safety, "policy_topic")  # refreshes the brief
        # The oldest request has waited 40 minutes: it has moved up two levels.
        with Session(engine) as session, session.begin():
            row = session.scalars(select(Escalation).where(Escalation.conversation_id == older))
            row.one().queued_at = utc_now() - timedelta(minutes=40)

        queue = await handoff.queue()
        order = [item.conversation_id for item in queue]
        priorities = {item.conversation_id: item.priority for item in queue}
        assert priorities[safety] == 1 and priorities[calm] == 3
        assert priorities[angry] == 1 and priorities[older] == 1  # fury with an order number
        assert order[:3] == [older, angry, safety]  # same level: the longer wait first
        assert order[-1] == calm
        assert [i.conversation_id for i in await handoff.queue(reason="complaint")] == [angry]
        assert [i.conversation_id for i in await handoff.queue(priority=3)] == [calm]

        await handoff.claim(ana, angry)
        mine = await handoff.queue(assigned_to=ana.agent_id)
        assert [(i.conversation_id, i.assigned_to) for i in mine] == [(angry, "Ana")]
        assert angry not in [i.conversation_id for i in await handoff.queue(state="queued")]

    asyncio.run(scenario())


def test_agents_racing_to_claim_one_conversation_get_one_winner(
    database: tuple[str, Engine],
) -> None:
    _, engine = database
    handoff = make_handoff(engine)
    agents = [agent(engine, f"Agent{i}") for i in range(5)]
    cid = conversation(engine, "I want to talk to a person")

    async def scenario() -> list[str]:
        await handoff.escalate(cid, "asked_for_human")
        results = await asyncio.gather(
            *(handoff.claim(a, cid) for a in agents), return_exceptions=True
        )
        return ["ok" if r is None else getattr(r, "code", repr(r)) for r in results]

    outcomes = asyncio.run(scenario())
    assert outcomes.count("ok") == 1
    assert outcomes.count("handoff_conflict") == 4
    joined = [t for role, t in customer_sees(engine, cid) if "has joined" in t]
    assert len(joined) == 1


def bot_failed(engine: Engine, conversation_id: str, *, thumbs_down: bool = False) -> None:
    """The bot abstained on a customer's question (and, with `thumbs_down`, they voted it
    down), stored as the chat stores them."""
    with Session(engine) as session, session.begin():
        reply_id = str(uuid.uuid4())
        session.add(
            Message(
                id=reply_id, conversation_id=conversation_id, role="assistant",
                type="assistant_message", name="Support assistant",
                text="I could not find that in the documentation.",
                metadata_={"answer_kind": "abstain"}, created_at=utc_now(),
            )
        )  # fmt: skip
        session.flush()
        if thumbs_down:
            session.add(Feedback(message_id=reply_id, conversation_id=conversation_id, value=0))


def test_failures_before_a_resolved_escalation_do_not_count_again(
    database: tuple[str, Engine],
) -> None:
    _, engine = database
    handoff = make_handoff(engine)
    ana = agent(engine, "Ana")
    cid = conversation(engine, "How do I set up OSPF on the LR-200?")
    bot_failed(engine, cid)
    bot_failed(engine, cid, thumbs_down=True)

    async def scenario() -> tuple[int, int, int]:
        before = await handoff.failures(cid)
        await handoff.escalate(cid, "repeated_failure")
        await handoff.claim(ana, cid)
        await handoff.resolve(ana, cid)
        just_back = await handoff.failures(cid)
        bot_failed(engine, cid)  # one new failure after the person handed it back
        return before, just_back, await handoff.failures(cid)

    before, just_back, after_one = asyncio.run(scenario())
    assert before == 3  # two abstentions and a thumbs down
    assert (just_back, after_one) == (0, 1)
    assert not failures_escalate(after_one)  # one failure does not send it back to the queue
    bot_failed(engine, cid, thumbs_down=True)
    assert failures_escalate(asyncio.run(handoff.failures(cid)))  # a second one does


def test_two_supervisors_reassigning_at_once_cannot_both_win(
    database: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = database
    handoff = make_handoff(engine)
    ana, ben, cy = agent(engine, "Ana"), agent(engine, "Ben"), agent(engine, "Cy")
    sue, sam = agent(engine, "Sue", "supervisor"), agent(engine, "Sam", "supervisor")
    cid = conversation(engine, "I want to talk to a person")

    def both_read_first() -> None:
        """SQLite has no row locks: make both transactions read the conversation and its
        assignee before either writes, the interleaving that hid the second reassignment."""
        both_read = threading.Barrier(2, timeout=60)
        read_escalation = actions.require_escalation

        def read_then_wait(session: Session, conversation_id: str) -> Any:
            escalation = read_escalation(session, conversation_id)
            both_read.wait()
            return escalation

        monkeypatch.setattr(actions, "require_escalation", read_then_wait)

    async def scenario() -> list[str]:
        await handoff.escalate(cid, "asked_for_human")
        await handoff.claim(ana, cid)
        if url.startswith("sqlite"):
            both_read_first()
        results = await asyncio.gather(
            handoff.assign(sue, cid, ben.agent_id),
            handoff.assign(sam, cid, cy.agent_id),
            return_exceptions=True,
        )
        return ["ok" if r is None else getattr(r, "code", repr(r)) for r in results]

    outcomes = asyncio.run(scenario())
    with Session(engine) as session:
        moves = [
            (entry.detail.get("from"), entry.detail["to"])
            for entry in session.scalars(
                select(AuditEntry).where(AuditEntry.action == "reassigned").order_by(AuditEntry.id)
            )
        ]
    owner = state_and_owner(engine, cid)
    # Either one wins and the other is told of the conflict (SQLite), or they run one after
    # the other (PostgreSQL's row lock): each reassignment starts from who had it before.
    assert outcomes.count("ok") + outcomes.count("handoff_conflict") == 2
    chain = [ana.agent_id] + [to for _, to in moves]
    assert [source for source, _ in moves] == chain[:-1]
    assert owner == chain[-1]
    joined = [t for role, t in customer_sees(engine, cid) if "has joined" in t]
    assert len(joined) == 1 + len(moves)


def state_and_owner(engine: Engine, conversation_id: str) -> str | None:
    with Session(engine) as session:
        return session.scalars(
            select(Escalation.assigned_agent_id).where(
                Escalation.conversation_id == conversation_id
            )
        ).one()


def customers_conversation(engine: Engine, identifier: str, text: str) -> str:
    """A conversation of the customer `identifier` (added if new) with one message."""
    cid = conversation(engine, text)
    with Session(engine) as session, session.begin():
        customer = session.scalars(
            select(Customer).where(Customer.identifier == identifier)
        ).first()
        if customer is None:
            customer = Customer(identifier=identifier, metadata_={})
            session.add(customer)
            session.flush()
        row = session.get(Conversation, cid)
        assert row is not None
        row.customer_id = customer.id
    return cid


def test_a_customer_cannot_queue_more_escalations_an_hour_than_the_limit(
    database: tuple[str, Engine],
) -> None:
    _, engine = database
    recorder = Recorder()
    handoff = make_handoff(engine, escalations_per_hour=2)
    handoff.bus = recorder  # type: ignore[assignment]
    ana = agent(engine, "Ana")
    first, second, third = (
        customers_conversation(engine, "customer:junk", f"person please {i}") for i in range(3)
    )
    other = customers_conversation(engine, "customer:calm", "I want to talk to a person")

    async def scenario() -> list[tuple[bool, bool]]:
        outcomes = [
            await handoff.escalate(first, "asked_for_human"),
            await handoff.escalate(second, "asked_for_human"),
            await handoff.escalate(third, "asked_for_human"),  # a third conversation: limited
        ]
        await handoff.claim(ana, first)
        await handoff.resolve(ana, first)
        outcomes.append(await handoff.escalate(first, "asked_for_human"))  # reopening: limited
        outcomes.append(await handoff.escalate(other, "asked_for_human"))  # someone else
        return [(o.created, o.limited) for o in outcomes]

    assert asyncio.run(scenario()) == [
        (True, False), (True, False), (False, True), (False, True), (True, False),
    ]  # fmt: skip
    assert state(engine, third) == ("bot", None)  # no escalation row, the bot still answers
    assert state(engine, first) == ("bot", "resolved")  # not reopened
    told = [text for role, text in customer_sees(engine, third) if role == "system"]
    assert len(told) == 1 and "already has your earlier request" in told[0]
    escalation_events = [e for e in recorder.events if e["kind"] == "escalation"]
    assert {e["conversation_id"] for e in escalation_events} == {first, second, other}
    assert [e for e in escalation_events if e["conversation_id"] == first][-1]["state"] == (
        "resolved"
    )


def test_the_brief_quotes_the_bots_words_not_the_chats_escapes(
    database: tuple[str, Engine],
) -> None:
    _, engine = database
    handoff = make_handoff(engine)
    # The chat stores the bot's answers as it showed them: escaped Markdown.
    cid = conversation(
        engine,
        "My LR-200 drops the connection every hour.",
        bot=inert("1. Update the LR-200 firmware to 4.2 [1]."),
    )

    async def scenario() -> Any:
        await handoff.escalate(cid, "asked_for_human")
        return await handoff.conversation(cid)

    view = asyncio.run(scenario())
    assert view.escalation is not None
    assert view.escalation.bot_suggested == "- Update the LR-200 firmware to 4.2."
    bot = [m for m in view.messages if m.role == "assistant"]
    assert bot[0].text == "1. Update the LR-200 firmware to 4.2 [1]."


def test_an_agents_reply_does_not_look_like_the_bots(database: tuple[str, Engine]) -> None:
    _, engine = database
    handoff = make_handoff(engine)
    ana = agent(engine, "Ana")
    cid = conversation(engine, "I want to talk to a person", bot="Of course [1].")

    async def scenario() -> str:
        await handoff.escalate(cid, "asked_for_human")
        await handoff.claim(ana, cid)
        return await handoff.reply(ana, cid, "Hi, Ana here.", str(uuid.uuid4()))

    reply_id = asyncio.run(scenario())
    with Session(engine) as session:
        steps = {
            m.role: step_dict(m, None)
            for m in session.scalars(select(Message).where(Message.conversation_id == cid))
        }
    # What the chat is sent (pushed now, or read on resume): the agent's name, and an icon
    # in place of the bot's avatar; the bot and its notices keep the avatar.
    assert steps["agent"]["id"] == reply_id
    assert steps["agent"]["name"] == "Ana" and steps["agent"]["metadata"]["icon"] == "headset"
    assert "icon" not in steps["assistant"]["metadata"]
    assert "icon" not in steps["system"]["metadata"]
    assert steps["system"]["name"] == steps["assistant"]["name"] == "Support assistant"


def test_postgres_bus_carries_events_between_connections() -> None:
    """Two buses stand for two app processes: what one publishes, both receive once."""
    with fresh_postgres_database() as url:

        async def scenario() -> tuple[list[Any], list[Any]]:
            one, two = PostgresBus(url), PostgresBus(url)
            await one.start()
            await two.start()
            try:
                async with one.subscribe() as first, two.subscribe() as second:
                    await one.publish({"kind": "message", "conversation_id": "c1"})
                    await two.publish({"kind": "escalation", "conversation_id": "c2"})
                    got_one = [await asyncio.wait_for(anext(first), 5) for _ in range(2)]
                    got_two = [await asyncio.wait_for(anext(second), 5) for _ in range(2)]
                    with pytest.raises(TimeoutError):
                        await asyncio.wait_for(anext(first), 0.5)  # nothing delivered twice
                    return got_one, got_two
            finally:
                await one.aclose()
                await two.aclose()

        got_one, got_two = asyncio.run(scenario())
        assert (
            got_one
            == got_two
            == [
                {"kind": "message", "conversation_id": "c1"},
                {"kind": "escalation", "conversation_id": "c2"},
            ]
        )
