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


class Conversation(Base):
    """One Chainlit thread (same id), with the support state the console works on."""

    __tablename__ = "sb_conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("sb_customers.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(255))
    product: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
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
