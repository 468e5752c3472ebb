"""Instances list the messages and signals they wait for (``waiting_for``).

Revision ID: e0005
Revises: e0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0005"
down_revision = "e0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("process_instance", sa.Column("waiting_for", sa.JSON(), nullable=True))
    op.create_index(
        "ix_process_instance_waiting",
        "process_instance",
        ["business_key"],
        postgresql_where=sa.text("waiting_for IS NOT NULL"),
        sqlite_where=sa.text("waiting_for IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_process_instance_waiting", "process_instance")
    with op.batch_alter_table("process_instance") as batch:
        batch.drop_column("waiting_for")
