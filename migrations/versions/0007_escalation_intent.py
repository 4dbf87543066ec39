"""The company's intent on each escalation (intents.toml, learned triage), for the queue's
column and filter.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sb_escalations", sa.Column("intent", sa.String(length=60), nullable=True))
    op.create_index("ix_sb_escalations_intent", "sb_escalations", ["intent"])


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN: PostgreSQL and SQLite 3.35+ both have it, and no
    # table copy is needed for a column nothing else refers to.
    op.drop_index("ix_sb_escalations_intent", table_name="sb_escalations")
    op.drop_column("sb_escalations", "intent")
