"""The complaint path: agents and their sessions, escalations, internal notes, the audit log.

Conversation status becomes the handoff state (bot, queued, assigned; see app/handoff/README.md):
"open" and "closed" conversations were with the bot, "escalated" ones were waiting for a person.

Hand-written; column types are spelled out (see 0002).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sb_agents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_agents")),
        sa.UniqueConstraint("username", name=op.f("uq_sb_agents_username")),
    )
    op.create_table(
        "sb_agent_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["sb_agents.id"],
            name=op.f("fk_sb_agent_sessions_agent_id_sb_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_agent_sessions")),
    )
    op.create_index(op.f("ix_sb_agent_sessions_agent_id"), "sb_agent_sessions", ["agent_id"])
    op.create_table(
        "sb_escalations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("reasons", JSON_DOCUMENT, nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("bot_suggested", sa.Text(), nullable=False),
        sa.Column("entities", JSON_DOCUMENT, nullable=False),
        sa.Column("sentiment", JSON_DOCUMENT, nullable=False),
        sa.Column("assigned_agent_id", sa.String(length=36), nullable=True),
        sa.Column("times_escalated", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("queued_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("assigned_at", TIMESTAMP, nullable=True),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["sb_conversations.id"],
            name=op.f("fk_sb_escalations_conversation_id_sb_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assigned_agent_id"],
            ["sb_agents.id"],
            name=op.f("fk_sb_escalations_assigned_agent_id_sb_agents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_escalations")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_sb_escalations_conversation_id")),
    )
    op.create_index(op.f("ix_sb_escalations_state"), "sb_escalations", ["state"])
    op.create_index(
        op.f("ix_sb_escalations_assigned_agent_id"), "sb_escalations", ["assigned_agent_id"]
    )
    op.create_table(
        "sb_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["sb_conversations.id"],
            name=op.f("fk_sb_notes_conversation_id_sb_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["sb_agents.id"],
            name=op.f("fk_sb_notes_agent_id_sb_agents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_notes")),
    )
    op.create_index(op.f("ix_sb_notes_conversation_id"), "sb_notes", ["conversation_id"])
    op.create_table(
        "sb_audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=True),
        sa.Column("detail", JSON_DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_audit_log")),
    )
    op.create_index(op.f("ix_sb_audit_log_at"), "sb_audit_log", ["at"])
    op.create_index(op.f("ix_sb_audit_log_conversation_id"), "sb_audit_log", ["conversation_id"])

    # When the app took a customer message in hand: a second delivery of the same message
    # (same client id) finds it set and is not answered twice.
    op.add_column("sb_messages", sa.Column("handled_at", TIMESTAMP, nullable=True))

    conversations = sa.table("sb_conversations", sa.column("status", sa.String))
    op.execute(
        conversations.update()
        .where(conversations.c.status.in_(["open", "closed"]))
        .values(status="bot")
    )
    op.execute(
        conversations.update().where(conversations.c.status == "escalated").values(status="queued")
    )
    _status_default("bot")


def downgrade() -> None:
    _status_default("open")
    conversations = sa.table("sb_conversations", sa.column("status", sa.String))
    op.execute(
        conversations.update()
        .where(conversations.c.status.in_(["queued", "assigned"]))
        .values(status="escalated")
    )
    op.execute(conversations.update().where(conversations.c.status == "bot").values(status="open"))
    op.drop_column("sb_messages", "handled_at")  # SQLite >= 3.35 drops columns in place
    op.drop_index(op.f("ix_sb_audit_log_conversation_id"), table_name="sb_audit_log")
    op.drop_index(op.f("ix_sb_audit_log_at"), table_name="sb_audit_log")
    op.drop_table("sb_audit_log")
    op.drop_index(op.f("ix_sb_notes_conversation_id"), table_name="sb_notes")
    op.drop_table("sb_notes")
    op.drop_index(op.f("ix_sb_escalations_assigned_agent_id"), table_name="sb_escalations")
    op.drop_index(op.f("ix_sb_escalations_state"), table_name="sb_escalations")
    op.drop_table("sb_escalations")
    op.drop_index(op.f("ix_sb_agent_sessions_agent_id"), table_name="sb_agent_sessions")
    op.drop_table("sb_agent_sessions")
    op.drop_table("sb_agents")


def _status_default(value: str) -> None:
    """The column default, where the database can change one in place. SQLite cannot without
    rebuilding the table; there every insert comes through the models, which set it."""
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "sb_conversations",
            "status",
            existing_type=sa.String(length=20),
            server_default=value,
            existing_nullable=False,
        )
