"""Placeholders in saved replies: `{customer_name}`, `{order_number}`, `{agent_name}`.

Filled by a plain pattern rather than `str.format`, so a stray brace or an unknown name in a
macro can never raise: a placeholder with no value here (an unknown name, or an order number
the brief does not have) stays in the text as written, for the agent to see and fix before
sending. The values are plain text; the page escapes them with the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from app.handoff.views import ConversationView

PLACEHOLDERS = ("customer_name", "order_number", "agent_name")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill(text: str, values: Mapping[str, str | None]) -> str:
    """`text` with each `{name}` that has a value replaced by it; the rest left as is."""

    def value_of(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return value if value else match.group(0)

    return _PLACEHOLDER.sub(value_of, text)


def first_order(entities: Sequence[Mapping[str, str]]) -> str | None:
    """The first order number among an escalation brief's entities."""
    for entity in entities:
        if entity.get("kind") == "order":
            return entity.get("value") or entity.get("text") or None
    return None


def values_for(view: ConversationView, agent_name: str) -> dict[str, str | None]:
    """What the placeholders stand for in this conversation, for this agent."""
    entities = view.escalation.entities if view.escalation else []
    return {
        "customer_name": view.customer_name or "there",
        "order_number": first_order(entities),
        "agent_name": agent_name,
    }
