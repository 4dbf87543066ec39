"""Who the customer is: the name and e-mail address from the embedding site's signed token
or the pre-chat form, the site's own id for its customer, and where the details came from.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sb_customers") as batch:
        batch.add_column(sa.Column("contact_name", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("site_customer_id", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("profile_source", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sb_customers") as batch:
        batch.drop_column("profile_source")
        batch.drop_column("site_customer_id")
        batch.drop_column("contact_email")
        batch.drop_column("contact_name")
