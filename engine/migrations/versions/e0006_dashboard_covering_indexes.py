"""Completed work by completion date, and an instance's definition without reading its state.

Reports over a period ("how long each step took this year") read the completed tasks of
the period: ``ix_human_task_completed`` holds them by completion date with what such a
report groups by (instance, element, creation time), so the period is one index range and
the table is not read. ``ix_process_instance_definition`` answers "which definition did
this instance run in" from the index: an instance row carries the serialized workflow, and
reading one row per task to learn its definition was most of the time with 100 k instances.
Open work gets the same: ``ix_human_task_due_open`` also holds the instance (which instances
have overdue work: reports on late work), ``ix_human_task_step_open`` holds it by step. Each
index names ``state`` although its condition fixes it: SQLite otherwise reads the row to
check the condition, and the index is not covering.

Revision ID: e0006
Revises: e0005
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0006"
down_revision = "e0005"
branch_labels = None
depends_on = None

OPEN = "state IN ('open', 'claimed')"


def upgrade() -> None:
    op.create_index(
        "ix_human_task_completed",
        "human_task",
        ["completed_at", "instance_id", "spec_id", "created_at", "state"],
        postgresql_where=sa.text("state = 'completed'"),
        sqlite_where=sa.text("state = 'completed'"),
    )
    op.create_index("ix_process_instance_definition", "process_instance", ["id", "definition_id"])
    op.drop_index("ix_human_task_due_open", "human_task")
    op.create_index(
        "ix_human_task_due_open",
        "human_task",
        ["due_at", "instance_id", "state"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_human_task_step_open",
        "human_task",
        ["spec_id", "due_at", "instance_id", "state"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_human_task_step_open", "human_task")
    op.drop_index("ix_human_task_due_open", "human_task")
    op.create_index(
        "ix_human_task_due_open",
        "human_task",
        ["due_at"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.drop_index("ix_process_instance_definition", "process_instance")
    op.drop_index("ix_human_task_completed", "human_task")
