"""The bus events the handoff announces: an escalation changed, a message was stored.

Each is built in the transaction that made the change and published only after its commit
(app/handoff/service.py), so whatever an event points at is already stored.
"""

from __future__ import annotations

from app.db.models import Escalation
from app.live.bus import Event


def escalation_event(escalation: Escalation) -> Event:
    """The escalation's new state and priority, for the console's queue."""
    return {
        "kind": "escalation",
        "conversation_id": escalation.conversation_id,
        "state": escalation.state,
        "priority": escalation.priority,
    }


def message_event(conversation_id: str, message_id: str, role: str) -> Event:
    """A stored message, for the customer's chat and the console to fetch and show."""
    return {
        "kind": "message",
        "conversation_id": conversation_id,
        "message_id": message_id,
        "role": role,
    }
