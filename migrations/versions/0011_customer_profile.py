"""Who the customer is: the name and e-mail address from the embedding site's signed token
or the pre-chat form, the site's own id for its customer, and where the details came from.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


COLUMNS = (
    ("contact_name", 80),
    ("contact_email", 254),
    ("site_customer_id", 128),
    ("profile_source", 10),
)


def upgrade() -> None:
    for name, length in COLUMNS:
        op.add_column("sb_customers", sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    for name, _length in reversed(COLUMNS):
        op.drop_column("sb_customers", name)  # SQLite >= 3.35 drops columns in place
