"""The bus events the handoff announces: an escalation changed, a message was stored.

Each is built in the transaction that made the change and published only after its commit
(app/handoff/service.py), so whatever an event points at is already stored.
"""

from __future__ import annotations

from app.db.models import Escalation
from app.live.bus import Event


def escalation_event(escalation: Escalation, *, new: bool = False) -> Event:
    """The escalation's new state and priority, for the console's queue; `new` when the
    conversation has just joined the queue (agents who asked for alerts get one)."""
    return {
        "kind": "escalation",
        "conversation_id": escalation.conversation_id,
        "state": escalation.state,
        "priority": escalation.priority,
        "new": new,
    }


def message_event(
    conversation_id: str, message_id: str, role: str, *, assigned_to: str | None = None
) -> Event:
    """A stored message, for the customer's chat and the console to fetch and show. A
    customer's message names the agent who has the conversation (`assigned_to`), whose
    console alerts them."""
    event: Event = {
        "kind": "message",
        "conversation_id": conversation_id,
        "message_id": message_id,
        "role": role,
    }
    if assigned_to is not None:
        event["assigned_to"] = assigned_to
    return event
