"""Tables. Names carry the `sb_` prefix so supportbot can share a database with other apps.

The conversation tables mirror what Chainlit persists (a thread is a `Conversation`, a step is
a `Message`, an element an `Element`) plus what only supportbot knows: customers, the
citations behind an answer, a conversation's status. Chainlit reaches them only through
`app.chat.data_layer`; the app and the console use `app.db.conversations`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names: Alembic can then drop or alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is stored in UTC and always comes back time-zone aware (UTC).

    SQLite has no time zones: SQLAlchemy writes the wall-clock digits and reads back a naive
    value. Converting to UTC on the way in keeps SQLite's text ordering chronological, and
    re-attaching UTC on the way out makes both backends return the same kind of value.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 (SQLAlchemy's signature)
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a time-zone aware one")
        return value.astimezone(UTC)

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 (SQLAlchemy's signature)
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSON that SQLAlchemy decodes on every backend (JSONB on PostgreSQL, so values compare and
# index); Python None is stored as SQL NULL rather than the JSON literal `null`.
JsonDocument = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class IngestRun(Base):
    """One `supportbot ingest` run: the history an operator checks after the nightly job."""

    __tablename__ = "sb_ingest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    duration_s: Mapped[float] = mapped_column(Float)
    roots: Mapped[list[str]] = mapped_column(JSON)
    added: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    passages_total: Mapped[int] = mapped_column(Integer)
    report_path: Mapped[str | None] = mapped_column(String(1024))
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class Customer(Base):
    """Someone who chats with the bot; `identifier` is how Chainlit knows them (the login)."""

    __tablename__ = "sb_customers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    identifier: Mapped[str] = mapped_column(String(255), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JsonDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # Who the customer is, when known (app/ground/contact.py checked both): from the
    # embedding site's signed token ("site", with the site's own id for them) or typed into
    # the pre-chat form ("form": not verified). Personal data: never logged.
    contact_name: Mapped[str | None] = mapped_column(String(80))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    site_customer_id: Mapped[str | None] = mapped_column(String(128))
    profile_source: Mapped[str | None] = mapped_column(String(10))


class Conversation(Base):
    """One Chainlit thread (same id), with the support state the console works on."""

    __tablename__ = "sb_conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("sb_customers.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(255))
    product: Mapped[str | None] = mapped_column(String(255))
    # The handoff state (app/handoff): bot, queued (waiting for a person) or assigned.
    status: Mapped[str] = mapped_column(String(20), default="bot", server_default="bot")
    tags: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JsonDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class Message(Base):
    """One Chainlit step: a chat message, or a tool/run step shown in the chain of thought.

    Besides `role` (who spoke, for the console and the transcript), the columns hold every
    field of Chainlit's StepDict so that a resumed thread looks as it did.
    """

    __tablename__ = "sb_messages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("sb_conversations.id", ondelete="CASCADE"), index=True
    )
    # No foreign key: Chainlit may persist a child step before or without its parent.
    parent_id: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))  # customer | assistant | agent | system
    type: Mapped[str] = mapped_column(String(40))  # Chainlit's step type
    name: Mapped[str] = mapped_column(String(255), default="")
    author: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")  # the step's output
    input: Mapped[str | None] = mapped_column(Text)
    is_error: Mapped[bool] = mapped_column(Boolean, default=False)
    streaming: Mapped[bool] = mapped_column(Boolean, default=False)
    show_input: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(40))
    command: Mapped[str | None] = mapped_column(String(255))
    modes: Mapped[dict[str, str] | None] = mapped_column(JsonDocument)
    tags: Mapped[list[str] | None] = mapped_column(JsonDocument)
    wait_for_answer: Mapped[bool | None] = mapped_column(Boolean)
    default_open: Mapped[bool | None] = mapped_column(Boolean)
    auto_collapse: Mapped[bool | None] = mapped_column(Boolean)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JsonDocument, default=dict)
    generation: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set when the app took a customer message in hand (answered it or passed it to a person):
    # the same message delivered again is then stored once and answered once.
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Citation(Base):
    """A passage an answer cited as [marker]: what the customer was shown as the source."""

    __tablename__ = "sb_citations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("sb_messages.id", ondelete="CASCADE"), index=True
    )
    marker: Mapped[int] = mapped_column(Integer)
    passage_id: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(1024))
    title: Mapped[str] = mapped_column(Text)
    heading_path: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    # Every section the citation names, first: `heading_path` (migration 0008); empty in
    # rows written before, which name `heading_path` alone.
    section_paths: Mapped[list[list[str]]] = mapped_column(
        JsonDocument, default=list, server_default="[]"
    )
    url: Mapped[str | None] = mapped_column(String(2048))
    page: Mapped[int | None] = mapped_column(Integer)
    product: Mapped[str | None] = mapped_column(String(255))
    snippet: Mapped[str] = mapped_column(Text)


class Feedback(Base):
    """The customer's thumbs up (1) or down (0) on one message; a second vote replaces it."""

    __tablename__ = "sb_feedback"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("sb_messages.id", ondelete="CASCADE"), unique=True
    )
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("sb_conversations.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class Element(Base):
    """A Chainlit element (citations are Text side elements); Text content is kept inline."""

    __tablename__ = "sb_elements"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("sb_conversations.id", ondelete="CASCADE"), index=True
    )
    for_id: Mapped[str | None] = mapped_column(String(64))  # the step it is attached to
    type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(255), default="")
    display: Mapped[str] = mapped_column(String(20), default="inline")
    content: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048))
    mime: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[str | None] = mapped_column(String(20))
    page: Mapped[int | None] = mapped_column(Integer)
    props: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class Agent(Base):
    """A member of the support team who signs in to the console."""

    __tablename__ = "sb_agents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # agent | supervisor | admin
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class AgentSession(Base):
    """A console login. `id` is the SHA-256 of the cookie's token, so a database leak
    yields no usable session; logging out revokes the row and ends the live connections."""

    __tablename__ = "sb_agent_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(
        ForeignKey("sb_agents.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The live console's last heartbeat on this login (None once its stream closed): who is
    # online to answer the queue (app/handoff/waiting.py).
    seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class Escalation(Base):
    """A conversation handed to people: one per conversation, reopened if it escalates again.

    `state` is queued, assigned or resolved (app/handoff/README.md); what the agent needs to
    start is gathered when it is created and refreshed on each later customer turn.
    """

    __tablename__ = "sb_escalations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("sb_conversations.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(String(40))  # the first reason, for the queue
    reasons: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    priority: Mapped[int] = mapped_column(Integer)  # 1 (urgent) .. 4 (low)
    summary: Mapped[str] = mapped_column(Text, default="")
    bot_suggested: Mapped[str] = mapped_column(Text, default="")
    entities: Mapped[list[dict[str, str]]] = mapped_column(JsonDocument, default=list)
    sentiment: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    # The company's intent (intents.toml) of the customer's latest turn that had one.
    intent: Mapped[str | None] = mapped_column(String(60), index=True)
    assigned_agent_id: Mapped[str | None] = mapped_column(
        ForeignKey("sb_agents.id", ondelete="SET NULL"), index=True
    )
    times_escalated: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution: Mapped[str | None] = mapped_column(String(20))  # resolved | returned


class Note(Base):
    """An internal note on a conversation: agents see it, the customer never does."""

    __tablename__ = "sb_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("sb_conversations.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("sb_agents.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class CsatSurvey(Base):
    """The satisfaction question asked in the chat when an agent resolved the conversation:
    its id is the id of the message that asked, so a rating answers exactly one question."""

    __tablename__ = "sb_csat_surveys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("sb_conversations.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("sb_agents.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    rating: Mapped[int | None] = mapped_column(Integer)  # 1 (poor) .. 5 (great)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Macro(Base):
    """A saved reply agents insert into the reply box; supervisors and admins keep the list.
    `text` may hold placeholders ({customer_name}, {order_number}, {agent_name}) that the
    console fills when an agent uses it."""

    __tablename__ = "sb_macros"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("sb_agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class AuditEntry(Base):
    """Something an agent (or the system) did. No foreign keys: the log outlives what it
    mentions."""

    __tablename__ = "sb_audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    agent_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(40))
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)


class ModelPromotion(Base):
    """A model name promoted to answer customers (app/finetune/promote.py); the latest wins."""

    __tablename__ = "sb_model_promotions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    adapter_path: Mapped[str | None] = mapped_column(Text)
    replaced: Mapped[str] = mapped_column(String(200))  # the name answering before it
    evaluation: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    promoted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class RoutingRecord(Base):
    """Which model answered a customer message and why (app/pipeline/generators/routing.py)."""

    __tablename__ = "sb_routing_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("sb_messages.id", ondelete="CASCADE"), index=True
    )
    route: Mapped[str] = mapped_column(String(16))  # small | large
    reason: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    small_model: Mapped[str] = mapped_column(String(200))
    large_model: Mapped[str] = mapped_column(String(200))
    # {"small": {"prompt_tokens": .., "completion_tokens": .., "seconds": ..}, "large": ...}
    usage: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class LiveCounter(Base):
    """The last number given to a conversation's live events (app/db/live_events.py). A row
    of its own, not a column of the conversation: it is locked only at the very end of a
    transaction, so numbering never waits on, nor holds up, the conversation's row."""

    __tablename__ = "sb_live_counters"

    conversation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class LiveEvent(Base):
    """A live event about a conversation, numbered and kept for a while after it was published
    (app/live): a process whose listener reconnected, or that sees a gap in a conversation's
    numbers, reads here what it missed. `published_at` stays empty until a publish of a reply
    succeeded, so a resubmitted reply can publish again what never went out."""

    __tablename__ = "sb_live_events"

    # No foreign key: an event is a notice about a conversation, pruned on its own schedule.
    conversation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
