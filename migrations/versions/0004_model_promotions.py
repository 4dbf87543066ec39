"""Promoted models: which model name the app asks the model server for.

`supportbot finetune promote` appends a row after the server has loaded the adapter; every app
process reads the latest row (app/db/promotions.py), so a promotion reaches all of them
without a restart. Rows are never updated: the table is also the promotion history.

Hand-written; column types are spelled out (see 0002).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sb_model_promotions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("adapter_path", sa.Text(), nullable=True),
        sa.Column("replaced", sa.String(length=200), nullable=False),
        sa.Column("evaluation", JSON_DOCUMENT, nullable=False),
        sa.Column("promoted_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_model_promotions")),
    )


def downgrade() -> None:
    op.drop_table("sb_model_promotions")
