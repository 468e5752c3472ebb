"""Server-side session invalidation: ``app_user.auth_epoch``.

A session cookie records the user's epoch at sign-in; sign-out, a password change and a
deactivation bump it, so copies of an old cookie stop working at once. Existing sessions
(which carry no epoch) end with this migration: everyone signs in again once.

Revision ID: w0009_sec
Revises: w0008
Create Date: 2026-12-01 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w0009_sec"
down_revision = "w0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "app_user", sa.Column("auth_epoch", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("auth_epoch")
