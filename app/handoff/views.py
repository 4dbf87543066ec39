"""What the console shows: plain, read-only copies of the rows, safe to use after the session
that read them has closed. Text is raw here; the console escapes it when it renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from app.db.customer_profiles import EarlierConversation, Profile

Role = Literal["agent", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("agent", "supervisor", "admin")


@dataclass(frozen=True)
class Actor:
    """The signed-in agent doing something in the console."""

    agent_id: str
    display_name: str
    role: Role

    @property
    def supervises(self) -> bool:
        return self.role in ("supervisor", "admin")


@dataclass(frozen=True)
class QueueItem:
    conversation_id: str
    state: str
    reason: str
    reasons: list[str]
    priority: int  # effective: the base priority raised by waiting (1 urgent .. 4 low)
    base_priority: int
    summary: str
    product: str | None
    customer: str | None
    assigned_agent_id: str | None
    assigned_to: str | None
    queued_at: datetime
    waiting_s: float
    sentiment: dict[str, Any]
    intent: str | None = None  # the company's intent (intents.toml) of the latest turn
    # Who the customer is, when known (app/db/customer_profiles.py): shown instead of
    # `customer`, the chat's identifier.
    customer_name: str | None = None
    customer_email: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "queued_at": self.queued_at.isoformat()}


@dataclass(frozen=True)
class EscalationView:
    id: str
    state: str
    reason: str
    reasons: list[str]
    priority: int
    summary: str
    bot_suggested: str
    entities: list[dict[str, str]]
    sentiment: dict[str, Any]
    assigned_agent_id: str | None
    assigned_to: str | None
    queued_at: datetime
    times_escalated: int
    resolution: str | None
    intent: str | None = None  # the company's intent (intents.toml) of the latest turn


@dataclass(frozen=True)
class MessageView:
    id: str
    role: str
    author: str | None
    text: str
    created_at: datetime
    citations: list[dict[str, Any]] = field(default_factory=list)
    triage: dict[str, Any] | None = None


@dataclass(frozen=True)
class NoteView:
    author: str | None
    text: str
    created_at: datetime


@dataclass(frozen=True)
class ConversationView:
    conversation_id: str
    state: str  # bot | queued | assigned
    customer: str | None
    product: str | None
    escalation: EscalationView | None
    messages: list[MessageView]
    notes: list[NoteView]
    profile: Profile | None = None  # who the customer is, when known
    earlier: list[EarlierConversation] = field(default_factory=list)  # theirs, newest first
    customer_name: str | None = None  # the name the customer gave, when one is known


@dataclass(frozen=True)
class AuditView:
    at: datetime
    agent: str | None
    action: str
    conversation_id: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class EscalationOutcome:
    """What `Handoff.escalate` did: `created` is False when the conversation was already
    waiting for or with a person (the reasons were added, nothing else changed), and when
    the customer had reached their escalations for the hour (`limited`: nothing changed, the
    customer was told their earlier request is with the team)."""

    created: bool
    state: str
    priority: int
    limited: bool = False
