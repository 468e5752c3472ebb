"""Reminder and escalation policies per document type and step.

Revision ID: w0004
Revises: w0003
Create Date: 2026-12-01 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision = "w0004"
down_revision = "w0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder_policy",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_type", sa.String(40), nullable=False),
        sa.Column("step", sa.String(100), nullable=False),
        sa.Column("remind_days_before", sa.Integer(), nullable=False),
        sa.Column("remind_on_due", sa.Boolean(), nullable=False),
        sa.Column("escalate_head_after", sa.Integer(), nullable=True),
        sa.Column("escalate_office_after", sa.Integer(), nullable=True),
        sa.Column("repeat_every", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reminder_policy"),
        sa.UniqueConstraint("document_type", "step", name="uq_reminder_policy_document_type_step"),
    )


def downgrade() -> None:
    op.drop_table("reminder_policy")
