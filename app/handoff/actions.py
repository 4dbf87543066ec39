"""The agents' actions on an escalated conversation, in one transaction each: taking it
(claim, assign), giving it up (release, resolve, return to the bot), replying and noting.

Every change of owner goes through `app.handoff.machine` and leaves an audit entry. Each
function returns what happened (and the bus events that announce it, which the caller in
app/handoff/service.py publishes after the commit).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app.db import csat
from app.db import escalations as repo
from app.db.models import Escalation, utc_now
from app.ground.errors import AppError
from app.handoff.events import escalation_event, message_event
from app.handoff.machine import Move, next_state
from app.handoff.notices import (
    CSAT_QUESTION,
    joined_text,
    post_system_message,
    resolved_text,
    returned_text,
)
from app.handoff.views import Actor
from app.live.bus import Event


def take(
    session: Session,
    actor: Actor,
    conversation_id: str,
    agent_id: str,
    move: Move,
    *,
    assistant: str,
) -> list[Event]:
    """Give the conversation to `agent_id` (`move`: claim or assign); the customer is told
    who joined, by `assistant`. Nothing happens when it is theirs already."""
    conversation = repo.lock_conversation(session, conversation_id)
    state = next_state(conversation.status, move)
    agent = repo.agent_of(session, agent_id)
    if agent is None or not agent.active:
        raise AppError("not_found", f"no active agent with id {agent_id!r}")
    escalation = require_escalation(session, conversation_id)
    if escalation.assigned_agent_id == agent_id:
        return []  # already theirs: nothing to do, nothing to announce
    previous = escalation.assigned_agent_id
    repo.assign_escalation(session, escalation, agent_id=agent_id, now=utc_now())
    repo.set_handoff_state(session, conversation, state)
    action = "claimed" if move == "claim" else "reassigned" if previous else "assigned"
    repo.audit(
        session, action=action, agent_id=actor.agent_id, conversation_id=conversation_id,
        detail={"to": agent_id, **({"from": previous} if previous else {})},
    )  # fmt: skip
    notice_id = post_system_message(
        session, conversation_id, assistant, joined_text(agent.display_name)
    )
    return [
        escalation_event(escalation),
        message_event(conversation_id, notice_id, "system"),
    ]


def give_up(
    session: Session, actor: Actor, conversation_id: str, move: Move, *, assistant: str
) -> list[Event]:
    """Release the conversation to the queue, or end the person's part (resolve, return):
    then the customer is told, by `assistant`, that the bot answers again."""
    conversation = repo.lock_conversation(session, conversation_id)
    state = next_state(conversation.status, move)
    escalation = require_escalation(session, conversation_id)
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
    repo.audit(session, action=action, agent_id=actor.agent_id, conversation_id=conversation_id)
    events = [escalation_event(escalation)]
    if move == "resolve":
        # Only a person's resolution is rated: a conversation handed back to the bot was
        # not theirs to finish.
        text = resolved_text(actor.display_name, assistant)
        notice_id = post_system_message(
            session, conversation_id, assistant, text, {CSAT_QUESTION: True}
        )
        csat.ask(
            session, survey_id=notice_id, conversation_id=conversation_id,
            agent_id=actor.agent_id,
        )  # fmt: skip
        events.append(message_event(conversation_id, notice_id, "system"))
    elif move == "return":
        text = returned_text(actor.display_name, assistant)
        notice_id = post_system_message(session, conversation_id, assistant, text)
        events.append(message_event(conversation_id, notice_id, "system"))
    return events


def store_reply(
    session: Session,
    actor: Actor,
    conversation_id: str,
    text: str,
    message_id: str,
    *,
    icon: str = "",
) -> bool:
    """Store the agent's reply under `message_id`, by their name and with `icon` (what the
    chat shows instead of the bot's avatar); False when it was stored already (a double
    submit). Only the agent the conversation is assigned to may reply."""
    conversation = repo.lock_conversation(session, conversation_id)
    escalation = repo.escalation_of(session, conversation_id)
    owner = escalation.assigned_agent_id if escalation else None
    if conversation.status != "assigned" or owner != actor.agent_id:
        raise AppError("handoff_conflict", "claim the conversation before replying to the customer")
    _, created = repo.add_message(
        session, conversation_id=conversation_id, message_id=message_id, role="agent",
        author=actor.display_name, text=text,
        metadata={"agent_id": actor.agent_id, **({"icon": icon} if icon else {})},
    )  # fmt: skip
    if created:
        repo.audit(
            session, action="replied", agent_id=actor.agent_id,
            conversation_id=conversation_id, detail={"message_id": message_id},
        )  # fmt: skip
    return created


def store_note(session: Session, actor: Actor, conversation_id: str, text: str) -> None:
    """Store an internal note (agents see it, the customer never does), audited."""
    repo.lock_conversation(session, conversation_id)
    note = repo.add_note(
        session, conversation_id=conversation_id, agent_id=actor.agent_id, text=text
    )
    repo.audit(
        session, action="noted", agent_id=actor.agent_id,
        conversation_id=conversation_id, detail={"note_id": note.id},
    )  # fmt: skip


def require_escalation(session: Session, conversation_id: str) -> Escalation:
    escalation = repo.escalation_of(session, conversation_id)
    if escalation is None:
        raise AppError("handoff_conflict", "this conversation was never escalated")
    return escalation


def message_text(text: str, limit: int) -> str:
    """An agent's reply or note, stripped; refused when empty or longer than `limit`."""
    text = text.strip()
    if not text:
        raise AppError("empty", "the message is empty")
    if len(text) > limit:
        raise AppError(
            "too_long", f"the message is {len(text):,} characters; the limit is {limit:,}"
        )
    return text


def client_id(given: str) -> str:
    """The reply form's id, which becomes the message's id: a UUID, or refused."""
    try:
        return str(uuid.UUID(given))
    except (ValueError, AttributeError, TypeError):
        raise AppError("bad_client_id", "the reply's client id is not a UUID") from None
