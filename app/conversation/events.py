"""What goes into a conversation turn (`CustomerTurn`) and what comes out: the events a front
door renders, in order. They carry plain text as the bot wrote it; making it inert for a
page is the front door's job (app.ground.render)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.pipeline.types import Answer, Turn


@dataclass(frozen=True)
class CustomerTurn:
    """A customer's message: which conversation, its id (the client's: a redelivery carries
    the same one), what they wrote, who they are (the chat identifier, e.g. "customer:3f2a"),
    when they sent it, and the conversation so far (for follow-up questions)."""

    conversation_id: str
    message_id: str
    text: str
    customer: str
    sent_at: datetime | None = None
    history: tuple[Turn, ...] = ()


@dataclass(frozen=True)
class AnswerPiece:
    """More of the answer `reply_id` to show."""

    reply_id: str
    text: str


@dataclass(frozen=True)
class AnswerRestarted:
    """Discard what was shown of the answer; a fallback follows (`notice` says why)."""

    reply_id: str
    notice: str


@dataclass(frozen=True)
class AnswerFinished:
    """The finished answer: show its text, notice and citations in place of the pieces.
    `offer_person` says whether to offer a button that asks for a person."""

    reply_id: str
    answer: Answer
    offer_person: bool


@dataclass(frozen=True)
class Refused:
    """The bot cannot take this message (empty, too long...): show `text` as reply `reply_id`."""

    reply_id: str
    text: str


@dataclass(frozen=True)
class AnswerWithdrawn(Refused):
    """A person took the conversation while the answer streamed: what was shown of it is
    withdrawn, and `text` (who has the conversation now) shows in its place. A Refused, so a
    front door that renders refusals renders this too."""


@dataclass(frozen=True)
class HandoffNotice:
    """The bot is bringing in a person: show `text` from the bot. (What the queue says next
    arrives as a system message from app/handoff, pushed like an agent's.)"""

    text: str


@dataclass(frozen=True)
class HistoryChanged:
    """The conversation so far, for the next turn: keep it with the chat session."""

    history: tuple[Turn, ...]


TurnEvent = (
    AnswerPiece
    | AnswerRestarted
    | AnswerFinished
    | Refused
    | AnswerWithdrawn
    | HandoffNotice
    | HistoryChanged
)
