"""Server-side session invalidation (``app_user.auth_epoch``) and idempotent completion
receipts (``completion_receipt``).

A session cookie records the user's epoch at sign-in; sign-out, a password change and a
deactivation bump it, so copies of an old cookie stop working at once. Existing sessions
(which carry no epoch) end with this migration: everyone signs in again once.

Revision ID: w0010
Revises: w0009
Create Date: 2026-12-01 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision = "w0010"
down_revision = "w0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "app_user", sa.Column("auth_epoch", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_table(
        "completion_receipt",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completion_receipt")),
        sa.UniqueConstraint(
            "actor", "idempotency_key", name=op.f("uq_completion_receipt_actor_idempotency_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("completion_receipt")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("auth_epoch")
