"""Regulations may carry the day they stop being in force ("hết hiệu lực từ ngày").

Revision ID: w0003
Revises: w0002
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w0003"
down_revision = "w0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("regulation") as batch:
        batch.add_column(sa.Column("expires_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("regulation") as batch:
        batch.drop_column("expires_on")
