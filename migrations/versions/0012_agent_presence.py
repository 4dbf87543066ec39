"""When each console login last had the live console open (its heartbeat), so a customer
handed to people can be told when nobody is there to answer.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "sb_agent_sessions", sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_sb_agent_sessions_seen_at", "sb_agent_sessions", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_sb_agent_sessions_seen_at", table_name="sb_agent_sessions")
    op.drop_column("sb_agent_sessions", "seen_at")
