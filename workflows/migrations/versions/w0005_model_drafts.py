"""Draft process models saved from the browser modeler (not executable until deployed).

Revision ID: w0005
Revises: w0004
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision = "w0005"
down_revision = "w0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_draft",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column(
            "base_definition_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_definition_id"],
            ["definition.id"],
            name=op.f("fk_model_draft_base_definition_id_definition"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_draft")),
    )
    op.create_index(op.f("ix_model_draft_key"), "model_draft", ["key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_model_draft_key"), table_name="model_draft")
    op.drop_table("model_draft")
