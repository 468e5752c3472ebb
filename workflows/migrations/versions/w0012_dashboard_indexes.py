"""Indexes the dashboards need with 100 k drafts: a draft by its plan item and its instance.

The plan dashboard joins every plan item of the year to its draft, and the tasks dashboard
joins every task to its draft by process instance; without these indexes each join scans
the draft table once per row (bench/dashboards.py: minutes at 20 k drafts).

Revision ID: w0012
Revises: w0011
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

from alembic import op

revision = "w0012"
down_revision = "w0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_draft_plan_item_id"), "draft", ["plan_item_id"], unique=False)
    op.create_index(op.f("ix_draft_instance_id"), "draft", ["instance_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_draft_instance_id"), table_name="draft")
    op.drop_index(op.f("ix_draft_plan_item_id"), table_name="draft")
