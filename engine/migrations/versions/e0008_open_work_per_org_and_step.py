"""Open work per organisation and step from one index: ``ix_human_task_org_open`` holds the
step too.

The tasks dashboard counted open and overdue tasks once per organisation and once per step,
each pass joining every open task to its draft (about 0.3 s each with 70 k open tasks on
SQLite), and the per-step pass joined every task to its instance as well, for the step's
definition. One pass grouped by (organisation, step) gives both, and reads this index alone
when it holds the step. The step goes last: the inbox's organisation views still read it in
(organisation, due date) order. A second index led by (organisation, step) was tried first;
PostgreSQL then chose it for those views on small tables, and every write paid for both.

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


def _org_open(columns: list[str]) -> None:
    op.create_index(
        "ix_human_task_org_open",
        "human_task",
        columns,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def upgrade() -> None:
    op.drop_index("ix_human_task_org_open", "human_task")
    _org_open(["organisation", "due_at", "instance_id", "state", "spec_id"])


def downgrade() -> None:
    op.drop_index("ix_human_task_org_open", "human_task")
    _org_open(["organisation", "due_at", "instance_id", "state"])
