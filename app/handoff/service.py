"""The handoff between the bot and people: one object the chat and the console both call.

Every method does its database work in one transaction (in a worker thread), builds there
the events that announce it, and publishes them on the bus only after the commit, so whatever
an event points at is already stored: an agent reply is stored before it is pushed, and a
customer who reconnects reads the same rows. State changes go through `app.handoff.machine`;
see README.md in this folder for the whole picture.

This class is the one door: it owns the transactions and the publishing. The work inside a
transaction lives by side: `escalate.py` (the chat's: escalating, keeping a turn's triage),
`actions.py` (the agents': claim, assign, release, resolve, reply, note), `reading.py` (the
console's reads); `notices.py` words what the customer is told, `events.py` the bus events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import escalations as repo
from app.db.engine import in_thread_transaction
from app.db.models import utc_now
from app.ground.config import ConsoleSettings, HandoffSettings
from app.ground.errors import AppError
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
from app.live.bus import Bus, Event

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
    ) -> None:
        self.bus = bus
        self._engine = engine
        self._settings = settings
        self._console = console or ConsoleSettings()
        self._assistant = assistant_name

    # --- plumbing -----------------------------------------------------------------------

    async def _run(self, work: Callable[[Session], T]) -> T:
        return await in_thread_transaction(self._engine, work)

    async def _publish(self, events: Sequence[Event]) -> None:
        for event in events:
            await self.bus.publish(event)

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
        await self._publish(await self._run(work))

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
            expected_wait=self._settings.expected_wait, assistant=self._assistant,
            per_hour=self._settings.escalations_per_hour,
        )  # fmt: skip
        try:
            outcome, events = await self._run(work)
        except IntegrityError:  # escalated at the same moment by another turn: now it exists
            outcome, events = await self._run(work)
        await self._publish(events)
        return outcome

    # --- the console's side -------------------------------------------------------------

    async def queue(
        self,
        *,
        state: str | None = None,
        reason: str | None = None,
        priority: int | None = None,
        assigned_to: str | None = None,
        limit: int = 200,
    ) -> list[QueueItem]:
        """Open escalations (or those in `state`), most urgent first, then longest waiting."""
        work = partial(
            reading.queue_items,
            states=(state,) if state else repo.OPEN_STATES, reason=reason,
            assigned_to=assigned_to, limit=limit, now=utc_now(),
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
        fresh `client_id` with each reply form: a double submit stores (and pushes) once."""
        text = actions.message_text(text, self._console.max_reply_chars)
        message_id = actions.client_id(client_id)
        work = partial(
            actions.store_reply,
            actor=actor, conversation_id=conversation_id, text=text, message_id=message_id,
            icon=self._settings.agent_icon,
        )  # fmt: skip
        if await self._run(work):
            await self._publish([message_event(conversation_id, message_id, "agent")])
        return message_id

    async def add_note(self, actor: Actor, conversation_id: str, text: str) -> None:
        """An internal note: agents see it, the customer never does."""
        text = actions.message_text(text, self._console.max_reply_chars)
        await self._run(
            partial(actions.store_note, actor=actor, conversation_id=conversation_id, text=text)
        )
        await self._publish([{"kind": "note", "conversation_id": conversation_id}])

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
        await self._publish(await self._run(work))

    async def _give_up(self, actor: Actor, conversation_id: str, move: Move) -> None:
        work = partial(
            actions.give_up,
            actor=actor, conversation_id=conversation_id, move=move, assistant=self._assistant,
        )  # fmt: skip
        await self._publish(await self._run(work))
