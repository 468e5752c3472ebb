"""Form schemas edited in the modeler travel with their draft model until it is deployed.

Revision ID: w0009
Revises: w0008
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w0009"
down_revision = "w0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_draft") as batch:
        batch.add_column(sa.Column("forms", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_draft") as batch:
        batch.drop_column("forms")
