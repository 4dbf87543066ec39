"""Routing decisions: which model (the small one or the larger endpoint) answered a customer
message, why, and what each route spent (app/pipeline/generators/routing.py).

Hand-written; column types are spelled out (see 0002).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sb_routing_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("small_model", sa.String(length=200), nullable=False),
        sa.Column("large_model", sa.String(length=200), nullable=False),
        sa.Column("usage", JSON_DOCUMENT, nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["sb_messages.id"],
            name=op.f("fk_sb_routing_decisions_message_id_sb_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_routing_decisions")),
    )
    op.create_index(
        op.f("ix_sb_routing_decisions_message_id"), "sb_routing_decisions", ["message_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sb_routing_decisions_message_id"), table_name="sb_routing_decisions")
    op.drop_table("sb_routing_decisions")
