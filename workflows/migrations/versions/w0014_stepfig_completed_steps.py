"""Step times from a narrow table kept at completion: ``completed_step``, filled from the tasks.

The tasks dashboard's time per step read every completed ``human_task`` of the period joined
to its draft and process instance (6-32 s at 100 k drafts on SQLite). ``completed_step``
(:mod:`workflows.step_times`) holds one row per completed task of a draft's process with what
the figures group and filter by; its covering indexes start with the completed day (every
agency) and with the lead agency (one agency's readers). Existing
completed tasks get their rows here, in SQL (Vietnam keeps UTC+7 all year).

Revision ID: w0014_stepfig
Revises: w0013
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w0014_stepfig"
down_revision = "w0013"
branch_labels = None
depends_on = None

_BACKFILL = """
INSERT INTO completed_step (task_id, instance_id, spec_id, definition_id, document_type,
                            procedure, lead_agency, created_day, completed_day)
SELECT human_task.id, human_task.instance_id, human_task.spec_id,
       process_instance.definition_id, draft.document_type, draft.procedure,
       draft.lead_agency, {created}, {completed}
FROM human_task
JOIN draft ON draft.instance_id = human_task.instance_id
JOIN process_instance ON process_instance.id = human_task.instance_id
WHERE human_task.state = 'completed' AND human_task.completed_at IS NOT NULL
"""


def _day(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"CAST(timezone('Asia/Ho_Chi_Minh', {column}) AS DATE)"
    return f"date({column}, '+7 hours')"


def upgrade() -> None:
    op.create_table(
        "completed_step",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("spec_id", sa.String(length=200), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("procedure", sa.String(length=20), nullable=True),
        sa.Column("lead_agency", sa.String(length=40), nullable=False),
        sa.Column("created_day", sa.Date(), nullable=False),
        sa.Column("completed_day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["human_task.id"], name=op.f("fk_completed_step_task_id_human_task")
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_completed_step")),
    )
    dialect = op.get_bind().dialect.name
    op.execute(
        sa.text(
            _BACKFILL.format(
                created=_day(dialect, "human_task.created_at"),
                completed=_day(dialect, "human_task.completed_at"),
            )
        )
    )
    # Indexes after the rows: one sort each instead of a tree grown row by row.
    op.create_index(
        "ix_completed_step_period",
        "completed_step",
        [
            "completed_day",
            "spec_id",
            "definition_id",
            "document_type",
            "procedure",
            "created_day",
            "lead_agency",
        ],
    )
    op.create_index(
        "ix_completed_step_agency",
        "completed_step",
        [
            "lead_agency",
            "completed_day",
            "spec_id",
            "definition_id",
            "document_type",
            "procedure",
            "created_day",
        ],
    )
    op.create_index("ix_completed_step_instance", "completed_step", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_completed_step_instance", table_name="completed_step")
    op.drop_index("ix_completed_step_agency", table_name="completed_step")
    op.drop_index("ix_completed_step_period", table_name="completed_step")
    op.drop_table("completed_step")
