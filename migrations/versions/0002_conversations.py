"""Customers, conversations (Chainlit threads), messages (steps), citations, feedback, elements.

Hand-written; the column types are spelled out here rather than imported from app.db.models so
that this revision keeps creating the same schema when the models change later.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# app.db.models.JsonDocument and UtcDateTime as they were at this revision.
JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sb_customers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("metadata", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_customers")),
        sa.UniqueConstraint("identifier", name=op.f("uq_sb_customers_identifier")),
    )
    op.create_table(
        "sb_conversations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("product", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("tags", JSON_DOCUMENT, nullable=False),
        sa.Column("metadata", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["sb_customers.id"],
            name=op.f("fk_sb_conversations_customer_id_sb_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_conversations")),
    )
    op.create_index(op.f("ix_sb_conversations_customer_id"), "sb_conversations", ["customer_id"])
    op.create_index(op.f("ix_sb_conversations_created_at"), "sb_conversations", ["created_at"])
    op.create_table(
        "sb_messages",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("input", sa.Text(), nullable=True),
        sa.Column("is_error", sa.Boolean(), nullable=False),
        sa.Column("streaming", sa.Boolean(), nullable=False),
        sa.Column("show_input", sa.String(length=40), nullable=True),
        sa.Column("language", sa.String(length=40), nullable=True),
        sa.Column("command", sa.String(length=255), nullable=True),
        sa.Column("modes", JSON_DOCUMENT, nullable=True),
        sa.Column("tags", JSON_DOCUMENT, nullable=True),
        sa.Column("wait_for_answer", sa.Boolean(), nullable=True),
        sa.Column("default_open", sa.Boolean(), nullable=True),
        sa.Column("auto_collapse", sa.Boolean(), nullable=True),
        sa.Column("metadata", JSON_DOCUMENT, nullable=False),
        sa.Column("generation", JSON_DOCUMENT, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("start", TIMESTAMP, nullable=True),
        sa.Column("end", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["sb_conversations.id"],
            name=op.f("fk_sb_messages_conversation_id_sb_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_messages")),
    )
    op.create_index(op.f("ix_sb_messages_conversation_id"), "sb_messages", ["conversation_id"])
    op.create_index(op.f("ix_sb_messages_created_at"), "sb_messages", ["created_at"])
    op.create_table(
        "sb_citations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("marker", sa.Integer(), nullable=False),
        sa.Column("passage_id", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("heading_path", JSON_DOCUMENT, nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("product", sa.String(length=255), nullable=True),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["sb_messages.id"],
            name=op.f("fk_sb_citations_message_id_sb_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_citations")),
    )
    op.create_index(op.f("ix_sb_citations_message_id"), "sb_citations", ["message_id"])
    op.create_table(
        "sb_feedback",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["sb_conversations.id"],
            name=op.f("fk_sb_feedback_conversation_id_sb_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["sb_messages.id"],
            name=op.f("fk_sb_feedback_message_id_sb_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_feedback")),
        sa.UniqueConstraint("message_id", name=op.f("uq_sb_feedback_message_id")),
    )
    op.create_index(op.f("ix_sb_feedback_conversation_id"), "sb_feedback", ["conversation_id"])
    op.create_table(
        "sb_elements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=True),
        sa.Column("for_id", sa.String(length=64), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display", sa.String(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("mime", sa.String(length=255), nullable=True),
        sa.Column("language", sa.String(length=40), nullable=True),
        sa.Column("size", sa.String(length=20), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("props", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["sb_conversations.id"],
            name=op.f("fk_sb_elements_conversation_id_sb_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_elements")),
    )
    op.create_index(op.f("ix_sb_elements_conversation_id"), "sb_elements", ["conversation_id"])


def downgrade() -> None:
    # Children first: PostgreSQL refuses to drop a table another table's foreign key names.
    op.drop_index(op.f("ix_sb_elements_conversation_id"), table_name="sb_elements")
    op.drop_table("sb_elements")
    op.drop_index(op.f("ix_sb_feedback_conversation_id"), table_name="sb_feedback")
    op.drop_table("sb_feedback")
    op.drop_index(op.f("ix_sb_citations_message_id"), table_name="sb_citations")
    op.drop_table("sb_citations")
    op.drop_index(op.f("ix_sb_messages_created_at"), table_name="sb_messages")
    op.drop_index(op.f("ix_sb_messages_conversation_id"), table_name="sb_messages")
    op.drop_table("sb_messages")
    op.drop_index(op.f("ix_sb_conversations_created_at"), table_name="sb_conversations")
    op.drop_index(op.f("ix_sb_conversations_customer_id"), table_name="sb_conversations")
    op.drop_table("sb_conversations")
    op.drop_table("sb_customers")
