"""The handoff between the bot and people: one object the chat and the console both call.

Every method does its database work in one transaction (in a worker thread), builds there
the events that announce it, and publishes them on the bus only after the commit, so whatever
an event points at is already stored: an agent reply is stored before it is pushed, and a
customer who reconnects reads the same rows. State changes go through `app.handoff.machine`;
see README.md in this folder for the whole picture.

Publishing is at least once and in order per conversation: the events are numbered and kept
in the event log at the end of the transaction that made the change (app/db/live_events.py;
numbers commit in order), then handed to a `Relay` (app/live/relay.py) that retries a failed
publish in the background; a resubmitted reply publishes again whatever of it never went
out. Listeners drop numbers they have seen.

This class is the one door: it owns the transactions and the publishing. The work inside a
transaction lives by side: `escalate.py` (the chat's: escalating, keeping a turn's triage),
`actions.py` (the agents': claim, assign, release, resolve, reply, note), `reading.py` (the
console's reads); `notices.py` words what the customer is told, `events.py` the bus events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import escalations as repo
from app.db import live_events
from app.db.engine import in_thread_transaction
from app.db.models import utc_now
from app.ground.config import ConsoleSettings, HandoffSettings
from app.ground.errors import AppError
from app.ground.hours import parse_opening_hours
from app.handoff import actions, escalate, reading
from app.handoff.events import message_event
from app.handoff.machine import Move
from app.handoff.views import (
    Actor,
    AuditView,
    ConversationView,
    EscalationOutcome,
    QueueItem,
)
from app.handoff.waiting import QueueRules
from app.live.bus import Bus, Event
from app.live.relay import Relay

T = TypeVar("T")


class Handoff:
    """Escalations, the queue and the agents' actions on it (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        bus: Bus,
        settings: HandoffSettings,
        console: ConsoleSettings | None = None,
        *,
        assistant_name: str = "Support assistant",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.bus = bus
        self._engine = engine
        self._settings = settings
        self._clock = clock  # tests move it past closing time
        self._rules = QueueRules(
            hours=parse_opening_hours(settings.opening_hours, settings.timezone),
            expected_wait=settings.expected_wait,
            aging_minutes=settings.aging_minutes,
        )
        self._console = console or ConsoleSettings()
        self._assistant = assistant_name
        # `self.bus` is read at each publish: tests swap in a recording bus.
        self._relay = Relay(lambda event: self.bus.publish(event))

    async def aclose(self) -> None:
        """Stop retrying failed publishes (listeners find those events in the log)."""
        await self._relay.aclose()

    # --- plumbing -----------------------------------------------------------------------

    async def _run(self, work: Callable[[Session], T]) -> T:
        return await in_thread_transaction(self._engine, work)

    async def _run_announcing(
        self,
        work: Callable[[Session], tuple[T, Sequence[Event]]],
        on_published: Callable[[Sequence[Event]], Awaitable[None]] | None = None,
    ) -> T:
        """Run `work` (what it did, and the events announcing it) in one transaction that
        ends by numbering and logging the events; publish them after the commit."""

        def announcing(session: Session) -> tuple[T, list[Event]]:
            result, events = work(session)
            return result, live_events.append(session, events)

        result, events = await self._run(announcing)
        await self._relay.send(events, on_published)
        return result

    async def _announce(
        self,
        work: Callable[[Session], Sequence[Event]],
        on_published: Callable[[Sequence[Event]], Awaitable[None]] | None = None,
    ) -> None:
        """`_run_announcing` for work that returns only its events."""
        await self._run_announcing(lambda session: (None, work(session)), on_published)

    async def _mark_published(self, events: Sequence[Event]) -> None:
        """A reply's events went out: a resubmit of it need not publish them again."""
        await self._run(lambda session: live_events.mark_published(session, events))

    # --- the chat's side ----------------------------------------------------------------

    async def bot_may_answer(self, conversation_id: str, sent_at: datetime | None = None) -> bool:
        """Whether the bot answers a customer message sent at `sent_at`: not while a person
        owns the conversation, nor when the message was written while one did (it reached
        the bot only after they resolved: it was meant for them, and they have seen it)."""
        return await self._run(
            lambda session: escalate.bot_may_answer(session, conversation_id, sent_at)
        )

    async def record_customer_turn(
        self, conversation_id: str, message_id: str, triage: dict[str, Any], topic: str | None
    ) -> None:
        """Keep a customer turn's triage with the message; refresh an open escalation's brief
        (a new order number, a worse mood) and tell the console."""
        work = partial(
            escalate.record_customer_turn,
            conversation_id=conversation_id, message_id=message_id, triage=triage, topic=topic,
        )  # fmt: skip
        await self._announce(work)

    async def customer_message_arrived(self, conversation_id: str, message_id: str) -> None:
        """Tell the console at once that a customer message is stored, before its triage
        (seconds under load): `record_customer_turn` announces it again with the triage. A
        customer still waiting in the queue is told the message was added."""
        work = partial(
            escalate.customer_message_arrived,
            conversation_id=conversation_id, message_id=message_id, rules=self._rules,
            assistant=self._assistant, now=self._clock(),
        )  # fmt: skip
        await self._announce(work)

    async def failures(self, conversation_id: str) -> int:
        """Abstentions and thumbs down so far in the conversation."""
        return await self._run(lambda session: repo.failures(session, conversation_id))

    async def escalate(
        self, conversation_id: str, reason: str, detail: str = ""
    ) -> EscalationOutcome:
        """Queue the conversation for a person, once: a second call adds its reason and
        refreshes the brief; a resolved escalation is reopened. A new queueing tells the
        customer what happens next (a system message, pushed like an agent's). Past the
        customer's escalations for the hour nothing is queued: they are told their earlier
        request is with the team."""
        work = partial(
            escalate.escalate_conversation,
            conversation_id=conversation_id, reason=reason, detail=detail,
            rules=self._rules, assistant=self._assistant,
            per_hour=self._settings.escalations_per_hour, now=self._clock(),
        )  # fmt: skip
        try:
            return await self._run_announcing(work)
        except IntegrityError:  # escalated at the same moment by another turn: now it exists
            return await self._run_announcing(work)

    # --- the console's side -------------------------------------------------------------

    async def queue(
        self,
        *,
        state: str | None = None,
        reason: str | None = None,
        intent: str | None = None,
        priority: int | None = None,
        assigned_to: str | None = None,
        limit: int = 200,
    ) -> list[QueueItem]:
        """Open escalations (or those in `state`), most urgent first, then longest waiting."""
        work = partial(
            reading.queue_items,
            states=(state,) if state else repo.OPEN_STATES, reason=reason, intent=intent,
            assigned_to=assigned_to, limit=limit, now=self._clock(),
            aging_minutes=self._settings.aging_minutes,
        )  # fmt: skip
        items = await self._run(work)
        if priority is not None:
            items = [item for item in items if item.priority == priority]
        return sorted(items, key=lambda item: (item.priority, item.queued_at))

    async def conversation(self, conversation_id: str) -> ConversationView:
        return await self._run(lambda session: reading.conversation_view(session, conversation_id))

    async def claim(self, actor: Actor, conversation_id: str) -> None:
        """Take a queued conversation: the bot falls silent, the customer is told who joined."""
        await self._take(actor, conversation_id, actor.agent_id, "claim")

    async def assign(self, actor: Actor, conversation_id: str, agent_id: str) -> None:
        """A supervisor gives a conversation (queued or assigned) to an agent."""
        if not actor.supervises:
            raise AppError("forbidden", "only supervisors and admins assign conversations")
        await self._take(actor, conversation_id, agent_id, "assign")

    async def release(self, actor: Actor, conversation_id: str) -> None:
        """Put an assigned conversation back in the queue."""
        await self._give_up(actor, conversation_id, "release")

    async def resolve(self, actor: Actor, conversation_id: str) -> None:
        """Done: the escalation is resolved and the bot answers again."""
        await self._give_up(actor, conversation_id, "resolve")

    async def return_to_bot(self, actor: Actor, conversation_id: str) -> None:
        """Not a person's job after all: back to the bot without calling it resolved."""
        await self._give_up(actor, conversation_id, "return")

    async def reply(self, actor: Actor, conversation_id: str, text: str, client_id: str) -> str:
        """Store the agent's reply, then push it into the customer's chat. The console sends a
        fresh `client_id` with each reply form: a double submit stores once, and publishes
        again only what never went out (listeners drop what they have seen)."""
        text = actions.message_text(text, self._console.max_reply_chars)
        message_id = actions.client_id(client_id)

        def work(session: Session) -> Sequence[Event]:
            stored = actions.store_reply(
                session, actor=actor, conversation_id=conversation_id, text=text,
                message_id=message_id, icon=self._settings.agent_icon,
            )  # fmt: skip
            if stored:
                return [message_event(conversation_id, message_id, "agent")]
            # Stored before: publish again what of it never went out (its publish failed and
            # the process stopped before a retry worked), numbered as it was then.
            return live_events.unpublished_about_message(session, conversation_id, message_id)

        await self._announce(work, self._mark_published)
        return message_id

    async def add_note(self, actor: Actor, conversation_id: str, text: str) -> None:
        """An internal note: agents see it, the customer never does."""
        text = actions.message_text(text, self._console.max_reply_chars)
        store = partial(actions.store_note, actor=actor, conversation_id=conversation_id, text=text)

        def work(session: Session) -> Sequence[Event]:
            store(session)
            return [{"kind": "note", "conversation_id": conversation_id}]

        await self._announce(work)

    async def audit_log(
        self, *, limit: int = 200, conversation_id: str | None = None
    ) -> list[AuditView]:
        return await self._run(
            partial(reading.audit_views, limit=limit, conversation_id=conversation_id)
        )

    # --- moves --------------------------------------------------------------------------

    async def _take(self, actor: Actor, conversation_id: str, agent_id: str, move: Move) -> None:
        work = partial(
            actions.take,
            actor=actor, conversation_id=conversation_id, agent_id=agent_id, move=move,
            assistant=self._assistant,
        )  # fmt: skip
        await self._announce(work)

    async def _give_up(self, actor: Actor, conversation_id: str, move: Move) -> None:
        work = partial(
            actions.give_up,
            actor=actor, conversation_id=conversation_id, move=move, assistant=self._assistant,
        )  # fmt: skip
        await self._announce(work)
