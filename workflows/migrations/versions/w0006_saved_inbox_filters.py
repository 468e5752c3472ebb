"""Saved inbox filters (named inbox query parameters, optionally shared with an organisation).

Revision ID: w0006
Revises: w0005
Create Date: 2027-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision = "w0006"
down_revision = "w0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_inbox_filter",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("shared_with_organisation", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shared_with_organisation"],
            ["organisation.code"],
            name=op.f("fk_saved_inbox_filter_shared_with_organisation_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_inbox_filter")),
        sa.UniqueConstraint("owner", "name", name=op.f("uq_saved_inbox_filter_owner_name")),
    )
    op.create_index(
        op.f("ix_saved_inbox_filter_shared_with_organisation"),
        "saved_inbox_filter",
        ["shared_with_organisation"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_saved_inbox_filter_shared_with_organisation"), table_name="saved_inbox_filter"
    )
    op.drop_table("saved_inbox_filter")
