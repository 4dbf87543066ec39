"""Every section a citation names (issue 11, exact sections): a citation that supports
sentences from two sections of one passage names both, and the console shows both.

Rows written before this revision keep an empty list and read as their `heading_path` alone,
which is what they were shown with. Hand-written; column types are spelled out (see 0002).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def upgrade() -> None:
    # A server default fills the rows already there (NOT NULL needs a value for them).
    op.add_column(
        "sb_citations",
        sa.Column("section_paths", JSON_DOCUMENT, nullable=False, server_default="[]"),
    )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (PostgreSQL, SQLite 3.35+), as in 0007.
    op.drop_column("sb_citations", "section_paths")
