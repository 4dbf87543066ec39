"""Whether a customer's turn runs an action, or must first give its identifier.

An action runs when the turn names its identifier (an order number, as triage found it) and
either the action runs on the identifier alone (`on_entity`) or the turn's company intent
(intents.toml, read by the learned triage) is one of its `intents`. When such an intent
matches but the identifier is missing, or does not have its kind's shape, the bot asks for
it; the customer's next turn may then be the bare identifier ("12345-678"), which triage
alone would not read as an order number, so it is looked for among that turn's words. The
bot asks once: a reply without the identifier goes on to the answer pipeline.

A request for a person or a complaint is never taken for a look-up: those go to people.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.actions.config import ActionBook, ActionSpec
from app.actions.values import normalised, valid_value
from app.ground.render import plain
from app.pipeline.types import Triage, Turn

_NOT_FOR_ACTIONS = ("human_request", "complaint")


@dataclass(frozen=True)
class Run:
    """Call `action` with the identifier `value` (valid for its kind)."""

    action: ActionSpec
    value: str


@dataclass(frozen=True)
class Ask:
    """Ask the customer for `action`'s identifier."""

    action: ActionSpec


def plan(
    book: ActionBook, message: str, history: tuple[Turn, ...], triage: Triage
) -> Run | Ask | None:
    """What the turn asks of the actions, if anything (see the module docstring)."""
    if not book.actions or triage.intent in _NOT_FOR_ACTIONS or triage.junk:
        return None
    asked = _asked_last(book, history)
    if asked is not None:
        value = _value(asked, triage) or _typed_value(asked, message)
        if value is not None:
            return Run(asked, value)
    for action in book.actions:
        intended = triage.company_intent is not None and triage.company_intent in action.intents
        value = _value(action, triage)
        if value is not None and (intended or action.on_entity):
            return Run(action, value)
    if asked is not None:
        return None  # asked already: no second time in a row
    for action in book.actions:
        if triage.company_intent is not None and triage.company_intent in action.intents:
            return Ask(action)
    return None


def _asked_last(book: ActionBook, history: tuple[Turn, ...]) -> ActionSpec | None:
    """The action whose question the bot's last message was (stored messages come back
    escaped for Markdown: `plain` undoes it)."""
    last = next((t for t in reversed(history) if t.role != "customer"), None)
    if last is None or last.role != "assistant":
        return None
    said = plain(last.text).strip()
    return next((a for a in book.actions if a.ask == said), None)


def _value(action: ActionSpec, triage: Triage) -> str | None:
    """The first identifier of the action's kind that triage found and that is valid."""
    for entity in triage.entities:
        if entity.kind == action.entity and valid_value(
            action.entity, entity.value, action.pattern
        ):
            return entity.value
    return None


def _typed_value(action: ActionSpec, message: str) -> str | None:
    """A bare identifier among the words of a reply to the action's question."""
    for word in message.split():
        value = normalised(action.entity, word)
        if valid_value(action.entity, value, action.pattern):
            return value
    return None
