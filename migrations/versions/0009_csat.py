"""Customer satisfaction: one survey per resolved escalation, asked in the chat, answered
(or not) with a 1-5 rating and an optional comment.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sb_csat_surveys",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(length=64),
            sa.ForeignKey("sb_conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "agent_id",
            sa.String(length=36),
            sa.ForeignKey("sb_agents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_sb_csat_surveys_conversation_id", "sb_csat_surveys", ["conversation_id"])
    op.create_index("ix_sb_csat_surveys_asked_at", "sb_csat_surveys", ["asked_at"])


def downgrade() -> None:
    op.drop_table("sb_csat_surveys")
