"""Ingest run history.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sb_ingest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("roots", sa.JSON(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("passages_total", sa.Integer(), nullable=False),
        sa.Column("report_path", sa.String(length=1024), nullable=True),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_ingest_runs")),
    )
    op.create_index(
        op.f("ix_sb_ingest_runs_started_at"), "sb_ingest_runs", ["started_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sb_ingest_runs_started_at"), table_name="sb_ingest_runs")
    op.drop_table("sb_ingest_runs")
