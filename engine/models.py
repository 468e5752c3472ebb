"""The engine's tables.

One row per deployed definition version, one content-addressed row per serialized spec,
one row per process instance (its SpiffWorkflow state *without* the spec), one row per human
task (a projection kept in the same transaction, so inboxes never deserialize a workflow)
and an append-only, hash-chained audit log. The schema is created by the Alembic migrations
in ``engine/migrations``; these classes are the typed view of it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, INTEGER on SQLite (so that it is the rowid alias and autoincrements).
BigId = BigInteger().with_variant(Integer(), "sqlite")

OPEN_STATES = ("open", "claimed")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, PostgreSQL does)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base shared by every Lexflow table (engine and domain)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class SpecBlob(Base):
    """A serialized process spec (+ the specs it calls), stored once per distinct content."""

    __tablename__ = "spec_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class Definition(Base):
    """An immutable version of a deployed BPMN process or DMN decision."""

    __tablename__ = "definition"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        UniqueConstraint("key", "sha256"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "bpmn" or "dmn"
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(300))
    # Identity of this version: hash of the file plus the hashes of the resolved dependencies.
    sha256: Mapped[str] = mapped_column(String(64))
    xml: Mapped[str] = mapped_column(Text)
    spec_sha256: Mapped[str | None] = mapped_column(ForeignKey("spec_blob.sha256"))
    # What this version was built with: {"called": {key: definition id}, "dmn": {...}, ...}
    dependencies: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deployed_by: Mapped[str] = mapped_column(String(100))
    deployed_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)


class ProcessInstance(Base):
    """A running (or finished) process; ``state`` is SpiffWorkflow's JSON minus the spec."""

    __tablename__ = "process_instance"
    __table_args__ = (
        Index(
            "ix_process_instance_due_timer",
            "next_timer_at",
            postgresql_where=text("next_timer_at IS NOT NULL"),
            sqlite_where=text("next_timer_at IS NOT NULL"),
        ),
        Index("ix_process_instance_business_key", "business_key"),
        # Receivers of a message (by business key) or of a signal: only waiting rows.
        Index(
            "ix_process_instance_waiting",
            "business_key",
            postgresql_where=text("waiting_for IS NOT NULL"),
            sqlite_where=text("waiting_for IS NOT NULL"),
        ),
        Index("ix_process_instance_status_key", "status", "definition_key"),
        # An instance's definition without reading its serialized state (reports per task).
        Index("ix_process_instance_definition", "id", "definition_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definition.id"), index=True)
    definition_key: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(100))
    # running | suspended | completed | cancelled | failed (a run bound was hit)
    status: Mapped[str] = mapped_column(String(20))
    state: Mapped[bytes] = mapped_column(LargeBinary)
    state_format: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    next_timer_at: Mapped[datetime | None]
    # ``message:NAME`` / ``signal:NAME`` entries the instance waits for (None: nothing).
    waiting_for: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    timer_lease_until: Mapped[datetime | None]
    timer_lease_owner: Mapped[str | None] = mapped_column(String(100))
    audit_head: Mapped[str | None] = mapped_column(String(64))
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Labels given at start (document type...), copied onto every human task for filtering.
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class HumanTask(Base):
    """Projection of one READY user task, kept in step with the instance state.

    Rows are never deleted: completed and cancelled tasks are the timeline of the instance.
    """

    __tablename__ = "human_task"
    __table_args__ = (
        # "My tasks": claimed tasks of one assignee, soonest due first.
        Index(
            "ix_human_task_assignee_open",
            "assignee",
            "due_at",
            postgresql_where=text("state = 'claimed'"),
            sqlite_where=text("state = 'claimed'"),
        ),
        # "Unclaimed for my roles": one index range per (role, organisation) grant.
        Index(
            "ix_human_task_role_open",
            "role",
            "organisation",
            "due_at",
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
        ),
        # "Overdue" and organisation-wide views over open work; which instances have overdue
        # work, from the index alone (SQLite counts the condition's column as one to read).
        Index(
            "ix_human_task_due_open",
            "due_at",
            "instance_id",
            "state",
            postgresql_where=text("state IN ('open', 'claimed')"),
            sqlite_where=text("state IN ('open', 'claimed')"),
        ),
        # Open work per step (reports), from the index alone.
        Index(
            "ix_human_task_step_open",
            "spec_id",
            "due_at",
            "instance_id",
            "state",
            postgresql_where=text("state IN ('open', 'claimed')"),
            sqlite_where=text("state IN ('open', 'claimed')"),
        ),
        # ...with the instance, state and step: open work per organisation (and per
        # organisation and step, the tasks dashboard's one pass) from the index alone.
        Index(
            "ix_human_task_org_open",
            "organisation",
            "due_at",
            "instance_id",
            "state",
            "spec_id",
            postgresql_where=text("state IN ('open', 'claimed')"),
            sqlite_where=text("state IN ('open', 'claimed')"),
        ),
        Index("ix_human_task_instance", "instance_id", "created_at"),
        # Completed work of a period, with what reports on it group by (no table read).
        Index(
            "ix_human_task_completed",
            "completed_at",
            "instance_id",
            "spec_id",
            "created_at",
            "state",
            postgresql_where=text("state = 'completed'"),
            sqlite_where=text("state = 'completed'"),
        ),
        # "My tasks to look at again": one assignee's claimed tasks that have a follow-up date,
        # by that date (only queries that name follow_up_on can use it).
        Index(
            "ix_human_task_assignee_follow_up",
            "assignee",
            "follow_up_on",
            postgresql_where=text("state = 'claimed' AND follow_up_on IS NOT NULL"),
            sqlite_where=text("state = 'claimed' AND follow_up_on IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    process_key: Mapped[str] = mapped_column(String(200))
    spec_id: Mapped[str] = mapped_column(String(200))
    spec_name: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(500))
    # The title in English where the model has a ``title_en`` expression (pages fall back).
    title_en: Mapped[str | None] = mapped_column(String(500))
    lane: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))
    organisation: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    # open | claimed | completed | cancelled
    state: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))
    # Free-form labels copied from the instance for filtering without joins (document type...).
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # 0 low, 1 normal, 2 high, 3 urgent (engine.task_attributes); from the model, then people.
    priority: Mapped[int] = mapped_column(SmallInteger, default=1, server_default=text("1"))
    # When the assignee wants to look at the task again (a day, no time).
    follow_up_on: Mapped[date | None] = mapped_column(Date)


class AuditEvent(Base):
    """One append-only audit record; ``hash`` chains it to the previous one of its stream."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("stream", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # "instance:<id>" for everything about one instance, "definition:<key>" for deployments.
    stream: Mapped[str] = mapped_column(String(220))
    seq: Mapped[int] = mapped_column(Integer)
    instance_id: Mapped[int | None] = mapped_column(BigId, index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
