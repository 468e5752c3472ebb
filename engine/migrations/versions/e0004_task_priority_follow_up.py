"""Human tasks carry a priority and a follow-up date (set by their assignee).

Revision ID: e0004
Revises: e0003
Create Date: 2027-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0004"
down_revision = "e0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(
            sa.Column("priority", sa.SmallInteger(), nullable=False, server_default=sa.text("1"))
        )
        batch.add_column(sa.Column("follow_up_on", sa.Date(), nullable=True))
    op.create_index(
        "ix_human_task_assignee_follow_up",
        "human_task",
        ["assignee", "follow_up_on"],
        postgresql_where=sa.text("state = 'claimed' AND follow_up_on IS NOT NULL"),
        sqlite_where=sa.text("state = 'claimed' AND follow_up_on IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_human_task_assignee_follow_up", table_name="human_task")
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("follow_up_on")
        batch.drop_column("priority")
