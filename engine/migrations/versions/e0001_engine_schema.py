"""Engine schema: definitions, spec blobs, instances, human tasks, audit log.

Revision ID: e0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision = "e0001"
down_revision = None
branch_labels = ("engine",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "spec_blob",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_spec_blob"),
    )
    op.create_table(
        "definition",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=True),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("spec_sha256", sa.String(64), nullable=True),
        sa.Column("dependencies", sa.JSON(), nullable=False),
        sa.Column("deployed_by", sa.String(100), nullable=False),
        sa.Column("deployed_at", UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_definition"),
        sa.ForeignKeyConstraint(
            ["spec_sha256"], ["spec_blob.sha256"], name="fk_definition_spec_sha256_spec_blob"
        ),
        sa.UniqueConstraint("key", "version", name="uq_definition_key_version"),
        sa.UniqueConstraint("key", "sha256", name="uq_definition_key_sha256"),
    )
    op.create_index("ix_definition_key", "definition", ["key"])
    op.create_table(
        "process_instance",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("definition_id", BigId, nullable=False),
        sa.Column("definition_key", sa.String(200), nullable=False),
        sa.Column("business_key", sa.String(200), nullable=True),
        sa.Column("organisation", sa.String(100), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("state_format", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("next_timer_at", UTCDateTime(), nullable=True),
        sa.Column("timer_lease_until", UTCDateTime(), nullable=True),
        sa.Column("timer_lease_owner", sa.String(100), nullable=True),
        sa.Column("audit_head", sa.String(64), nullable=True),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("started_by", sa.String(100), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_process_instance"),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["definition.id"],
            name="fk_process_instance_definition_id_definition",
        ),
    )
    op.create_index("ix_process_instance_definition_id", "process_instance", ["definition_id"])
    op.create_index("ix_process_instance_business_key", "process_instance", ["business_key"])
    op.create_index(
        "ix_process_instance_status_key", "process_instance", ["status", "definition_key"]
    )
    op.create_index(
        "ix_process_instance_due_timer",
        "process_instance",
        ["next_timer_at"],
        postgresql_where=sa.text("next_timer_at IS NOT NULL"),
        sqlite_where=sa.text("next_timer_at IS NOT NULL"),
    )
    op.create_table(
        "human_task",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("instance_id", BigId, nullable=False),
        sa.Column("process_key", sa.String(200), nullable=False),
        sa.Column("spec_id", sa.String(200), nullable=False),
        sa.Column("spec_name", sa.String(300), nullable=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("lane", sa.String(200), nullable=True),
        sa.Column("role", sa.String(100), nullable=True),
        sa.Column("organisation", sa.String(100), nullable=True),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("completed_by", sa.String(100), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_human_task"),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name="fk_human_task_instance_id_process_instance",
        ),
    )
    op.create_index(
        "ix_human_task_assignee_open",
        "human_task",
        ["assignee", "due_at"],
        postgresql_where=sa.text("state = 'claimed'"),
        sqlite_where=sa.text("state = 'claimed'"),
    )
    op.create_index(
        "ix_human_task_role_open",
        "human_task",
        ["role", "organisation", "due_at"],
        postgresql_where=sa.text("state = 'open'"),
        sqlite_where=sa.text("state = 'open'"),
    )
    op.create_index(
        "ix_human_task_due_open",
        "human_task",
        ["due_at"],
        postgresql_where=sa.text("state IN ('open', 'claimed')"),
        sqlite_where=sa.text("state IN ('open', 'claimed')"),
    )
    op.create_index(
        "ix_human_task_org_open",
        "human_task",
        ["organisation", "due_at"],
        postgresql_where=sa.text("state IN ('open', 'claimed')"),
        sqlite_where=sa.text("state IN ('open', 'claimed')"),
    )
    op.create_index("ix_human_task_instance", "human_task", ["instance_id", "created_at"])
    op.create_table(
        "audit_event",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("stream", sa.String(220), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("instance_id", BigId, nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_event"),
        sa.UniqueConstraint("stream", "seq", name="uq_audit_event_stream_seq"),
    )
    op.create_index("ix_audit_event_instance_id", "audit_event", ["instance_id"])
    _append_only("audit_event")


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on an append-only table."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    for table in ("audit_event", "human_task", "process_instance", "definition", "spec_blob"):
        op.drop_table(table)
