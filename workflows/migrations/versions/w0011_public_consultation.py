"""Public consultation: the draft text by article, the public's comments, ledger answers.

Revision ID: w0011
Revises: w0010
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision = "w0011"
down_revision = "w0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultation_text",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "document_version_id",
            sa.Integer(),
            sa.ForeignKey("document_version.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("draft.id"), nullable=False),
        sa.Column("articles_json", sa.Text(), nullable=True),
        sa.Column("problem", sa.String(500), nullable=True),
        sa.Column("read_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_consultation_text_draft_id", "consultation_text", ["draft_id"])
    op.create_table(
        "public_comment",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("draft.id"), nullable=False),
        sa.Column(
            "document_version_id", sa.Integer(), sa.ForeignKey("document_version.id"), nullable=True
        ),
        sa.Column("article", sa.String(20), nullable=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("organisation", sa.String(120), nullable=True),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("moderation_reason", sa.String(500), nullable=True),
        sa.Column("moderated_by", sa.String(100), nullable=True),
        sa.Column("moderated_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_public_comment_draft_id", "public_comment", ["draft_id"])
    op.create_index("ix_public_comment_status", "public_comment", ["status"])
    op.create_table(
        "ledger_answer",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("draft.id"), nullable=False),
        sa.Column("entry_key", sa.String(60), nullable=False),
        sa.Column("answer", sa.String(20), nullable=False),
        sa.Column("article", sa.String(20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(100), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("draft_id", "entry_key"),
    )
    op.create_index("ix_ledger_answer_draft_id", "ledger_answer", ["draft_id"])


def downgrade() -> None:
    op.drop_table("ledger_answer")
    op.drop_table("public_comment")
    op.drop_table("consultation_text")
