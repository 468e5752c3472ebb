"""Notifications become facts rendered in the reader's language, with an e-mail outbox
and per-user delivery preferences.

The notification table is rebuilt (its uniqueness key is now recipient, kind, topic and
period); existing rows are kept with their stored subject and body, marked as not to be
e-mailed again.

Revision ID: w0007
Revises: w0006
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision = "w0007"
down_revision = "w0006"
branch_labels = None
depends_on = None


def _new_notification_table() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=60), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("delivery", sa.String(length=12), nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["draft.id"], name=op.f("fk_notification_draft_id_draft")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint(
            "recipient",
            "kind",
            "topic",
            "period",
            name=op.f("uq_notification_recipient_kind_topic_period"),
        ),
    )
    op.create_index(op.f("ix_notification_recipient"), "notification", ["recipient"], unique=False)


def upgrade() -> None:
    bind = op.get_bind()
    old = sa.table(  # typed, so that times come back as aware UTC on SQLite too
        "notification",
        sa.column("id", sa.Integer()),
        sa.column("recipient", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("subject", sa.String()),
        sa.column("body", sa.Text()),
        sa.column("task_id", sa.String()),
        sa.column("draft_id", sa.Integer()),
        sa.column("created_at", UTCDateTime()),
        sa.column("read_at", UTCDateTime()),
    )
    kept = [dict(row._mapping) for row in bind.execute(sa.select(old))]
    op.drop_index(op.f("ix_notification_recipient"), table_name="notification")
    op.drop_table("notification")
    _new_notification_table()
    if kept:
        table = sa.table(
            "notification",
            *(
                sa.column(name, type_)
                for name, type_ in (
                    ("id", sa.Integer()),
                    ("recipient", sa.String()),
                    ("kind", sa.String()),
                    ("topic", sa.String()),
                    ("period", sa.String()),
                    ("task_id", sa.String()),
                    ("draft_id", sa.Integer()),
                    ("params", sa.JSON()),
                    ("delivery", sa.String()),
                    ("created_at", UTCDateTime()),
                    ("read_at", UTCDateTime()),
                )
            ),
        )
        op.bulk_insert(
            table,
            [
                {
                    "id": row["id"],
                    "recipient": row["recipient"],
                    "kind": row["kind"],
                    "topic": "legacy",
                    "period": str(row["id"]),
                    "task_id": row["task_id"],
                    "draft_id": row["draft_id"],
                    "params": {"legacy_subject": row["subject"], "legacy_body": row["body"]},
                    "delivery": "off",
                    "created_at": row["created_at"],
                    "read_at": row["read_at"],
                }
                for row in kept
            ],
        )
        if bind.dialect.name == "postgresql":
            op.execute(
                "SELECT setval(pg_get_serial_sequence('notification', 'id'), "
                "(SELECT MAX(id) FROM notification))"
            )
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_to", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_notification_outbox_notification_id_notification"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("notification_id", name=op.f("uq_notification_outbox_notification_id")),
    )
    op.create_index(
        op.f("ix_notification_outbox_state_next_attempt_at"),
        "notification_outbox",
        ["state", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "notification_preference",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("delivery", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_notification_preference_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preference")),
        sa.UniqueConstraint(
            "user_id", "kind", name=op.f("uq_notification_preference_user_id_kind")
        ),
    )


def downgrade() -> None:
    op.drop_table("notification_preference")
    op.drop_index(
        op.f("ix_notification_outbox_state_next_attempt_at"), table_name="notification_outbox"
    )
    op.drop_table("notification_outbox")
    op.drop_index(op.f("ix_notification_recipient"), table_name="notification")
    op.drop_table("notification")
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.Column("emailed_at", UTCDateTime(), nullable=True),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["draft.id"], name=op.f("fk_notification_draft_id_draft")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint(
            "recipient",
            "kind",
            "dedupe_key",
            name=op.f("uq_notification_recipient_kind_dedupe_key"),
        ),
    )
    op.create_index(op.f("ix_notification_recipient"), "notification", ["recipient"], unique=False)
