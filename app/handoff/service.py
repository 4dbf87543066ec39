"""The handoff between the bot and people: one object the chat and the console both call.

Every method does its database work in one transaction (in a worker thread), builds there
the events that announce it, and publishes them on the bus only after the commit, so whatever
an event points at is already stored: an agent reply is stored before it is pushed, and a
customer who reconnects reads the same rows. State changes go through `app.handoff.machine`;
see README.md in this folder for the whole picture.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import escalations as repo
from app.db.engine import in_thread_transaction
from app.db.models import Agent, Conversation, Escalation, Message, utc_now
from app.ground.config import ConsoleSettings, HandoffSettings
from app.ground.errors import AppError
from app.ground.render import plain
from app.handoff import machine
from app.handoff.brief import BriefTurn, build_brief, effective_priority
from app.handoff.machine import Move, next_state
from app.handoff.views import (
    Actor,
    AuditView,
    ConversationView,
    EscalationOutcome,
    EscalationView,
    MessageView,
    NoteView,
    QueueItem,
)
from app.live.bus import Bus, Event

T = TypeVar("T")


def queued_text(expected_wait: str) -> str:
    return (
        "I've passed this conversation to our support team. A person will reply right here, "
        f"{expected_wait}. Everything you've written so far is with them, and anything you add "
        "now reaches them too. You can close this page: the reply will be here when you come "
        "back."
    )


def joined_text(agent: str) -> str:
    return f"{agent} from our support team has joined the conversation."


def resolved_text(agent: str, assistant: str) -> str:
    return (
        f"{agent} has marked this conversation as resolved. You're back with the {assistant}: "
        "ask me anything, or ask for a person at any time."
    )


def returned_text(agent: str, assistant: str) -> str:
    return (
        f"{agent} has handed this conversation back to me, the {assistant}. Ask me anything, "
        "or ask for a person at any time."
    )


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

        def work(session: Session) -> bool:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                return True
            if not machine.bot_may_answer(conversation.status):
                return False
            escalation = repo.escalation_of(session, conversation_id)
            if sent_at is None or escalation is None or escalation.resolved_at is None:
                return True
            return not (escalation.queued_at <= sent_at < escalation.resolved_at)

        return await self._run(work)

    async def record_customer_turn(
        self, conversation_id: str, message_id: str, triage: dict[str, Any], topic: str | None
    ) -> None:
        """Keep a customer turn's triage with the message; refresh an open escalation's brief
        (a new order number, a worse mood) and tell the console."""

        def work(session: Session) -> list[Event]:
            message = session.get(Message, message_id)
            if message is not None:
                extra = {"triage": triage, **({"policy_topic": topic} if topic else {})}
                message.metadata_ = {**(message.metadata_ or {}), **extra}
            events = [_message_event(conversation_id, message_id, "customer")]
            escalation = repo.escalation_of(session, conversation_id)
            if escalation is not None and escalation.state in repo.OPEN_STATES:
                self._refresh_brief(session, escalation, escalation.reasons)
                events.append(_escalation_event(escalation))
            return events

        await self._publish(await self._run(work))

    async def failures(self, conversation_id: str) -> int:
        """Abstentions and thumbs down so far in the conversation."""
        return await self._run(lambda session: repo.failures(session, conversation_id))

    async def escalate(
        self, conversation_id: str, reason: str, detail: str = ""
    ) -> EscalationOutcome:
        """Queue the conversation for a person, once: a second call adds its reason and
        refreshes the brief; a resolved escalation is reopened. A new queueing tells the
        customer what happens next (a system message, pushed like an agent's)."""

        def work(session: Session) -> tuple[EscalationOutcome, list[Event]]:
            conversation = repo.lock_conversation(session, conversation_id)
            state = next_state(conversation.status, "escalate")
            escalation = repo.escalation_of(session, conversation_id)
            created = conversation.status == "bot"
            now = utc_now()
            if escalation is None:
                escalation = Escalation(
                    conversation_id=conversation_id, state="queued", reason=reason, reasons=[],
                    priority=3, summary="", bot_suggested="", entities=[], sentiment={},
                    times_escalated=1, created_at=now, queued_at=now, updated_at=now,
                )  # fmt: skip
                session.add(escalation)
            elif created:  # reopened after a person had handed it back
                escalation.state, escalation.reason = "queued", reason
                escalation.reasons = []
                escalation.assigned_agent_id = None
                escalation.assigned_at = escalation.resolved_at = escalation.resolution = None
                escalation.times_escalated += 1
                escalation.queued_at = now
            self._refresh_brief(session, escalation, [*escalation.reasons, reason])
            repo.set_handoff_state(session, conversation, state)
            events = [_escalation_event(escalation)]
            if created:
                repo.audit(
                    session, action="escalated", conversation_id=conversation_id,
                    detail={"reason": reason, "detail": detail, "priority": escalation.priority},
                )  # fmt: skip
                notice_id = self._system_message(
                    session, conversation_id, queued_text(self._settings.expected_wait)
                )
                events.append(_message_event(conversation_id, notice_id, "system"))
            return EscalationOutcome(created, state, escalation.priority), events

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
        states = (state,) if state else repo.OPEN_STATES
        now = utc_now()

        def work(session: Session) -> list[QueueItem]:
            rows = repo.queue(
                session, states=states, reason=reason, assigned_agent_id=assigned_to, limit=limit
            )
            return [
                self._queue_item(escalation, conversation, customer, assignee, now)
                for escalation, conversation, customer, assignee in rows
            ]

        items = await self._run(work)
        if priority is not None:
            items = [item for item in items if item.priority == priority]
        return sorted(items, key=lambda item: (item.priority, item.queued_at))

    async def conversation(self, conversation_id: str) -> ConversationView:
        def work(session: Session) -> ConversationView:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                raise AppError("not_found", f"no conversation with id {conversation_id!r}")
            escalation = repo.escalation_of(session, conversation_id)
            return ConversationView(
                conversation_id=conversation.id,
                state=conversation.status,
                customer=repo.customer_identifier(session, conversation),
                product=conversation.product
                or (_first_product(escalation.entities) if escalation else None),
                escalation=_escalation_view(session, escalation) if escalation else None,
                messages=[
                    _message_view(message, citations)
                    for message, citations in repo.transcript_with_citations(
                        session, conversation_id
                    )
                ],
                notes=[
                    NoteView(author=name, text=note.text, created_at=note.created_at)
                    for note, name in repo.notes_of(session, conversation_id)
                ],
            )

        return await self._run(work)

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
        text = _message_text(text, self._console.max_reply_chars)
        message_id = _client_id(client_id)

        def work(session: Session) -> bool:
            conversation = repo.lock_conversation(session, conversation_id)
            escalation = repo.escalation_of(session, conversation_id)
            owner = escalation.assigned_agent_id if escalation else None
            if conversation.status != "assigned" or owner != actor.agent_id:
                raise AppError(
                    "handoff_conflict", "claim the conversation before replying to the customer"
                )
            _, created = repo.add_message(
                session, conversation_id=conversation_id, message_id=message_id, role="agent",
                author=actor.display_name, text=text, metadata={"agent_id": actor.agent_id},
            )  # fmt: skip
            if created:
                repo.audit(
                    session, action="replied", agent_id=actor.agent_id,
                    conversation_id=conversation_id, detail={"message_id": message_id},
                )  # fmt: skip
            return created

        if await self._run(work):
            await self._publish([_message_event(conversation_id, message_id, "agent")])
        return message_id

    async def add_note(self, actor: Actor, conversation_id: str, text: str) -> None:
        """An internal note: agents see it, the customer never does."""
        text = _message_text(text, self._console.max_reply_chars)

        def work(session: Session) -> None:
            repo.lock_conversation(session, conversation_id)
            note = repo.add_note(
                session, conversation_id=conversation_id, agent_id=actor.agent_id, text=text
            )
            repo.audit(
                session, action="noted", agent_id=actor.agent_id,
                conversation_id=conversation_id, detail={"note_id": note.id},
            )  # fmt: skip

        await self._run(work)
        await self._publish([{"kind": "note", "conversation_id": conversation_id}])

    async def audit_log(
        self, *, limit: int = 200, conversation_id: str | None = None
    ) -> list[AuditView]:
        def work(session: Session) -> list[AuditView]:
            return [
                AuditView(entry.at, name, entry.action, entry.conversation_id, dict(entry.detail))
                for entry, name in repo.audit_page(
                    session, limit=limit, conversation_id=conversation_id
                )
            ]

        return await self._run(work)

    async def record_audit(
        self,
        actor: Actor | None,
        action: str,
        *,
        conversation_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Log something done outside the handoff (logins, agent management)."""
        await self._run(
            lambda session: repo.audit(
                session,
                action=action,
                agent_id=actor.agent_id if actor else None,
                conversation_id=conversation_id,
                detail=detail,
            )  # fmt: skip
        )

    # --- moves --------------------------------------------------------------------------

    async def _take(self, actor: Actor, conversation_id: str, agent_id: str, move: Move) -> None:
        def work(session: Session) -> list[Event]:
            conversation = repo.lock_conversation(session, conversation_id)
            state = next_state(conversation.status, move)
            agent = session.get(Agent, agent_id)
            if agent is None or not agent.active:
                raise AppError("not_found", f"no active agent with id {agent_id!r}")
            escalation = _require_escalation(session, conversation_id)
            if escalation.assigned_agent_id == agent_id:
                return []  # already theirs: nothing to do, nothing to announce
            previous = escalation.assigned_agent_id
            escalation.state, escalation.assigned_agent_id = "assigned", agent_id
            escalation.assigned_at = escalation.updated_at = utc_now()
            repo.set_handoff_state(session, conversation, state)
            action = "claimed" if move == "claim" else "reassigned" if previous else "assigned"
            repo.audit(
                session, action=action, agent_id=actor.agent_id, conversation_id=conversation_id,
                detail={"to": agent_id, **({"from": previous} if previous else {})},
            )  # fmt: skip
            notice_id = self._system_message(
                session, conversation_id, joined_text(agent.display_name)
            )
            return [
                _escalation_event(escalation),
                _message_event(conversation_id, notice_id, "system"),
            ]

        await self._publish(await self._run(work))

    async def _give_up(self, actor: Actor, conversation_id: str, move: Move) -> None:
        def work(session: Session) -> list[Event]:
            conversation = repo.lock_conversation(session, conversation_id)
            state = next_state(conversation.status, move)
            escalation = _require_escalation(session, conversation_id)
            if escalation.assigned_agent_id != actor.agent_id and not actor.supervises:
                raise AppError("forbidden", "this conversation is assigned to someone else")
            now = utc_now()
            escalation.updated_at = now
            if move == "release":
                escalation.state, escalation.assigned_agent_id = "queued", None
                escalation.assigned_at = None
            else:
                escalation.state, escalation.resolved_at = "resolved", now
                escalation.resolution = "resolved" if move == "resolve" else "returned"
            repo.set_handoff_state(session, conversation, state)
            action = {"release": "released", "resolve": "resolved", "return": "returned"}[move]
            repo.audit(
                session, action=action, agent_id=actor.agent_id, conversation_id=conversation_id
            )
            events = [_escalation_event(escalation)]
            if move != "release":
                words = resolved_text if move == "resolve" else returned_text
                notice_id = self._system_message(
                    session, conversation_id, words(actor.display_name, self._assistant)
                )
                events.append(_message_event(conversation_id, notice_id, "system"))
            return events

        await self._publish(await self._run(work))

    # --- helpers ------------------------------------------------------------------------

    def _system_message(self, session: Session, conversation_id: str, text: str) -> str:
        message_id = str(uuid.uuid4())
        repo.add_message(
            session, conversation_id=conversation_id, message_id=message_id, role="system",
            author=self._assistant, text=text,
        )  # fmt: skip
        return message_id

    def _refresh_brief(self, session: Session, escalation: Escalation, reasons: list[str]) -> None:
        turns = [
            BriefTurn(
                role=message.role,
                text=message.text,
                triage=(message.metadata_ or {}).get("triage"),
                topic=(message.metadata_ or {}).get("policy_topic"),
                sources=tuple(c.title for c in citations),
                kind=(message.metadata_ or {}).get("answer_kind"),
            )
            for message, citations in repo.transcript_with_citations(
                session, escalation.conversation_id
            )
        ]
        brief = build_brief(turns, reasons)
        escalation.reasons = brief.reasons
        escalation.summary, escalation.bot_suggested = brief.summary, brief.bot_suggested
        escalation.entities, escalation.sentiment = brief.entities, brief.sentiment
        escalation.priority = brief.priority
        escalation.updated_at = utc_now()

    def _queue_item(
        self,
        escalation: Escalation,
        conversation: Conversation,
        customer: str | None,
        assignee: str | None,
        now: datetime,
    ) -> QueueItem:
        waiting = escalation.queued_at
        effective = escalation.priority
        if escalation.state == "queued":
            effective = effective_priority(
                escalation.priority, waiting, now, self._settings.aging_minutes
            )
        return QueueItem(
            conversation_id=conversation.id,
            state=escalation.state,
            reason=escalation.reason,
            reasons=list(escalation.reasons),
            priority=effective,
            base_priority=escalation.priority,
            summary=escalation.summary,
            product=conversation.product or _first_product(escalation.entities),
            customer=customer,
            assigned_agent_id=escalation.assigned_agent_id,
            assigned_to=assignee,
            queued_at=waiting,
            waiting_s=max(0.0, (now - waiting).total_seconds()),
            sentiment=dict(escalation.sentiment),
        )


def _require_escalation(session: Session, conversation_id: str) -> Escalation:
    escalation = repo.escalation_of(session, conversation_id)
    if escalation is None:
        raise AppError("handoff_conflict", "this conversation was never escalated")
    return escalation


def _escalation_view(session: Session, escalation: Escalation) -> EscalationView:
    assignee = None
    if escalation.assigned_agent_id:
        assignee = session.get(Agent, escalation.assigned_agent_id)
    return EscalationView(
        id=escalation.id,
        state=escalation.state,
        reason=escalation.reason,
        reasons=list(escalation.reasons),
        priority=escalation.priority,
        summary=escalation.summary,
        bot_suggested=escalation.bot_suggested,
        entities=list(escalation.entities),
        sentiment=dict(escalation.sentiment),
        assigned_agent_id=escalation.assigned_agent_id,
        assigned_to=assignee.display_name if assignee else None,
        queued_at=escalation.queued_at,
        times_escalated=escalation.times_escalated,
        resolution=escalation.resolution,
    )


def _message_view(message: Message, citations: Sequence[Any]) -> MessageView:
    return MessageView(
        id=message.id,
        role=message.role,
        author="Customer" if message.role == "customer" else message.author,
        # The bot's messages are stored as the chat showed them (escaped Markdown).
        text=plain(message.text) if message.role == "assistant" else message.text,
        created_at=message.created_at,
        citations=[
            {
                "marker": c.marker,
                "title": c.title,
                "heading_path": list(c.heading_path),
                "url": c.url,
                "snippet": c.snippet,
                "source": c.source,
            }  # fmt: skip
            for c in citations
        ],
        triage=(message.metadata_ or {}).get("triage"),
    )


def _escalation_event(escalation: Escalation) -> Event:
    """Built in the transaction that changed the escalation, published after its commit."""
    return {
        "kind": "escalation",
        "conversation_id": escalation.conversation_id,
        "state": escalation.state,
        "priority": escalation.priority,
    }


def _message_event(conversation_id: str, message_id: str, role: str) -> Event:
    return {
        "kind": "message",
        "conversation_id": conversation_id,
        "message_id": message_id,
        "role": role,
    }


def _message_text(text: str, limit: int) -> str:
    text = text.strip()
    if not text:
        raise AppError("empty", "the message is empty")
    if len(text) > limit:
        raise AppError(
            "too_long", f"the message is {len(text):,} characters; the limit is {limit:,}"
        )
    return text


def _client_id(client_id: str) -> str:
    try:
        return str(uuid.UUID(client_id))
    except (ValueError, AttributeError, TypeError):
        raise AppError("bad_client_id", "the reply's client id is not a UUID") from None


def _first_product(entities: Sequence[dict[str, str]]) -> str | None:
    return next((e["value"] for e in entities if e.get("kind") == "product"), None)
