"""The ``completed_step`` table: what the step-time figures need of each completed task."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models import Base


class CompletedStep(Base):
    """One completed user task of a draft's process (cancelled tasks have no row).

    ``document_type``, ``procedure`` and ``lead_agency`` are the draft's and
    ``definition_id`` the instance's as they stand now (:mod:`workflows.step_times.keeping`
    updates them when they change), not as they were when the task completed: the figures
    group a task by its draft's current procedure and its instance's current definition.
    """

    __tablename__ = "completed_step"
    __table_args__ = (
        # The period's tasks with everything the figures group and filter by: read from the
        # index alone.
        Index(
            "ix_completed_step_period",
            "completed_day",
            "spec_id",
            "definition_id",
            "document_type",
            "procedure",
            "created_day",
            "lead_agency",
        ),
        # ...and one agency's (an agency head reads only their own): its range alone.
        Index(
            "ix_completed_step_agency",
            "lead_agency",
            "completed_day",
            "spec_id",
            "definition_id",
            "document_type",
            "procedure",
            "created_day",
        ),
        Index("ix_completed_step_instance", "instance_id"),
    )

    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer)
    spec_id: Mapped[str] = mapped_column(String(200))
    definition_id: Mapped[int] = mapped_column(Integer)
    document_type: Mapped[str] = mapped_column(String(40))
    procedure: Mapped[str | None] = mapped_column(String(20))
    lead_agency: Mapped[str] = mapped_column(String(40))
    #: The Vietnamese days the task arrived and was completed (Art. 147 counts from them).
    created_day: Mapped[date] = mapped_column(Date)
    completed_day: Mapped[date] = mapped_column(Date)
