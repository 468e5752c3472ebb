"""Open work per organisation and step from one index: ``ix_human_task_org_step_open``.

The tasks dashboard counted open and overdue tasks once per organisation and once per step,
each pass joining every open task to its draft (about 0.3 s each with 70 k open tasks on
SQLite), and the per-step pass joined every task to its instance as well, for the step's
definition. One pass grouped by (organisation, step) gives both; it reads this index alone
(the instance for the join, ``state`` named although the condition fixes it: see e0006).

Revision ID: e0008_open_work
Revises: e0007_stepfig
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0008_open_work"
down_revision = "e0007_stepfig"
branch_labels = None
depends_on = None

OPEN = "state IN ('open', 'claimed')"


def upgrade() -> None:
    op.create_index(
        "ix_human_task_org_step_open",
        "human_task",
        ["organisation", "spec_id", "due_at", "instance_id", "state"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_human_task_org_step_open", "human_task")
