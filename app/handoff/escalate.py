"""The chat's side of the handoff, in one transaction each: escalating a conversation,
keeping a customer turn's triage, and whether the bot may answer.

An escalation is opened once per conversation and reopened after a person handed it back;
its brief (app/handoff/brief.py) is rebuilt from the transcript whenever something new
arrives. Each function returns the bus events that announce its change; the caller
(app/handoff/service.py) publishes them after the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.db import escalations as repo
from app.db.models import Conversation, Escalation, utc_now
from app.db.steps import message_by_id
from app.handoff import machine
from app.handoff.brief import as_written, build_brief
from app.handoff.events import escalation_event, message_event
from app.handoff.machine import next_state
from app.handoff.notices import added_text, limited_text, post_system_message, queued_text
from app.handoff.transcript import BriefTurn
from app.handoff.views import EscalationOutcome
from app.handoff.waiting import QueueRules, where_you_stand
from app.live.bus import Event


def bot_may_answer(session: Session, conversation_id: str, sent_at: datetime | None) -> bool:
    """See `Handoff.bot_may_answer`."""
    conversation = repo.conversation_by_id(session, conversation_id)
    if conversation is None:
        return True
    if not machine.bot_may_answer(conversation.status):
        return False
    escalation = repo.escalation_of(session, conversation_id)
    if sent_at is None or escalation is None or escalation.resolved_at is None:
        return True
    return not (escalation.queued_at <= sent_at < escalation.resolved_at)


def customer_message_arrived(
    session: Session,
    conversation_id: str,
    message_id: str,
    *,
    rules: QueueRules,
    assistant: str,
    now: datetime,
) -> list[Event]:
    """A customer message stored while people have the conversation: the console hears of
    it at once; while it still waits in the queue, the customer is told it was added and
    where they stand (once a person has it, that person's reply is the acknowledgement)."""
    escalation = repo.escalation_of(session, conversation_id)
    owner = escalation.assigned_agent_id if escalation and escalation.state == "assigned" else None
    events = [message_event(conversation_id, message_id, "customer", assigned_to=owner)]
    conversation = repo.conversation_by_id(session, conversation_id)
    if conversation is not None and conversation.status == "queued":
        where = where_you_stand(session, conversation_id, now, rules)
        notice_id = post_system_message(session, conversation_id, assistant, added_text(where))
        events.append(message_event(conversation_id, notice_id, "system"))
    return events


def record_customer_turn(
    session: Session,
    conversation_id: str,
    message_id: str,
    triage: dict[str, Any],
    topic: str | None,
) -> list[Event]:
    """Keep the turn's triage with the message; refresh an open escalation's brief."""
    message = message_by_id(session=session, message_id=message_id)
    if message is not None:
        extra = {"triage": triage, **({"policy_topic": topic} if topic else {})}
        message.metadata_ = {**(message.metadata_ or {}), **extra}
    events = [message_event(conversation_id, message_id, "customer")]
    escalation = repo.escalation_of(session, conversation_id)
    if escalation is not None and escalation.state in repo.OPEN_STATES:
        refresh_brief(session, escalation, escalation.reasons)
        events.append(escalation_event(escalation))
    return events


def escalate_conversation(
    session: Session,
    conversation_id: str,
    reason: str,
    detail: str,
    *,
    rules: QueueRules,
    assistant: str,
    per_hour: int,
    now: datetime,
) -> tuple[EscalationOutcome, list[Event]]:
    """Queue the conversation for a person, or add the reason to an open escalation; a new
    queueing tells the customer, as `assistant`, where they stand (`where_you_stand`).
    A customer queued `per_hour` times in the last hour is not queued again: they are told
    their earlier request is with the team, and nothing else changes."""
    conversation = repo.lock_conversation(session, conversation_id)
    state = next_state(conversation.status, "escalate")
    escalation = repo.escalation_of(session, conversation_id)
    created = conversation.status == "bot"
    if created and over_limit(session, conversation, now, per_hour):
        notice_id = post_system_message(session, conversation_id, assistant, limited_text())
        outcome = EscalationOutcome(False, conversation.status, 0, limited=True)
        return outcome, [message_event(conversation_id, notice_id, "system")]
    if escalation is None:
        escalation = repo.new_escalation(session, conversation_id, reason, now)
    elif created:  # reopened after a person had handed it back
        escalation.state, escalation.reason = "queued", reason
        escalation.reasons = []
        escalation.assigned_agent_id = None
        escalation.assigned_at = escalation.resolved_at = escalation.resolution = None
        escalation.times_escalated += 1
        escalation.queued_at = now
    refresh_brief(session, escalation, [*escalation.reasons, reason])
    repo.set_handoff_state(session, conversation, state)
    events = [escalation_event(escalation, new=created)]
    if created:
        repo.audit(
            session, action="escalated", conversation_id=conversation_id,
            detail={"reason": reason, "detail": detail, "priority": escalation.priority},
        )  # fmt: skip
        session.flush()  # the new escalation counts in the queue it is placed in
        where = where_you_stand(session, conversation_id, now, rules)
        notice_id = post_system_message(session, conversation_id, assistant, queued_text(where))
        events.append(message_event(conversation_id, notice_id, "system"))
    return EscalationOutcome(created, state, escalation.priority), events


def over_limit(session: Session, conversation: Conversation, now: datetime, per_hour: int) -> bool:
    """Whether the conversation's customer was queued `per_hour` times in the hour before
    `now` (a stream of junk or repeated requests must not flood the queue)."""
    since = now - timedelta(hours=1)
    return repo.escalations_of_customer_since(session, conversation, since) >= per_hour


def refresh_brief(session: Session, escalation: Escalation, reasons: list[str]) -> None:
    """Rebuild the escalation's brief and priority from the transcript as it is now."""
    turns = [
        BriefTurn(
            role=message.role,
            text=as_written(message.role, message.text),
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
    escalation.intent = brief.intent
    escalation.updated_at = utc_now()
