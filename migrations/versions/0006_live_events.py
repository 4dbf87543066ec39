"""Live events, numbered per conversation (a counter row each) and kept for replay
(app/db/live_events.py): a listener that reconnected or saw a gap reads what it missed; an
unpublished reply event is published again when the reply is resubmitted.

Hand-written; column types are spelled out (see 0002).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sb_live_counters",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_sb_live_counters")),
    )
    op.create_table(
        "sb_live_events",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("payload", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("conversation_id", "seq", name=op.f("pk_sb_live_events")),
    )
    op.create_index(op.f("ix_sb_live_events_created_at"), "sb_live_events", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sb_live_events_created_at"), table_name="sb_live_events")
    op.drop_table("sb_live_events")
    op.drop_table("sb_live_counters")
