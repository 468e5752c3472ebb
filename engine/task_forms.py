"""What a step's form needs besides its schema: allowed choices, starting values, earlier answers.

A form is pre-filled only from the step's *own* earlier submission (the same step of the same
instance, for the same organisation: a draft returned for rework comes back with what its
author wrote) or from the form's explicit defaults. It is never pre-filled from the process
data: a ``reason`` another step wrote, or figures the model refused, are not this step's
answer. The answers of every completed step are read back from the audit log, where each
completion records exactly what was submitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import form_extensions
from .expressions import SafeEvaluator
from .models import AuditEvent, HumanTask
from .task_queries import TaskInfo


@dataclass(frozen=True)
class FormState:
    """The form of an open step as a page shows it."""

    schema: dict[str, Any] | None
    choices: dict[str, list[Any]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)

    def initial_values(self) -> dict[str, Any]:
        """Starting values: the step's own earlier answer, else the explicit defaults."""
        fields = set(((self.schema or {}).get("properties") or {}).keys())
        values = {k: v for k, v in self.defaults.items() if k in fields}
        values.update({k: v for k, v in self.previous.items() if k in fields})
        return values


@dataclass(frozen=True)
class Submission:
    """What one completed step recorded, with the schema of its form (for labels)."""

    task: TaskInfo
    data: dict[str, Any]
    schema: dict[str, Any] | None
    at: datetime


def completion_data(session: Session, instance_id: int) -> dict[str, dict[str, Any]]:
    """Task id -> the data submitted when it was completed (from the audit log)."""
    rows = session.execute(
        select(AuditEvent.task_id, AuditEvent.data).where(
            AuditEvent.stream == f"instance:{instance_id}",
            AuditEvent.action == "complete",
        )
    ).all()
    return {task_id: dict(data or {}) for task_id, data in rows if task_id}


def previous_answer(session: Session, row: HumanTask) -> dict[str, Any]:
    """The latest submission of the same step (same element and organisation) of the instance."""
    earlier = session.execute(
        select(HumanTask.id)
        .where(
            HumanTask.instance_id == row.instance_id,
            HumanTask.spec_id == row.spec_id,
            HumanTask.state == "completed",
            HumanTask.id != row.id,
            HumanTask.organisation.is_(None)
            if row.organisation is None
            else HumanTask.organisation == row.organisation,
        )
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if earlier is None:
        return {}
    event = session.execute(
        select(AuditEvent.data)
        .where(
            AuditEvent.stream == f"instance:{row.instance_id}",
            AuditEvent.task_id == earlier,
            AuditEvent.action == "complete",
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    return dict(event or {})


def form_state(
    session: Session,
    row: HumanTask,
    schema: dict[str, Any] | None,
    task_data: dict[str, Any],
    evaluator: SafeEvaluator,
) -> FormState:
    return FormState(
        schema=schema,
        choices=form_extensions.choices(schema, task_data, evaluator),
        defaults=form_extensions.defaults(schema, task_data, evaluator),
        previous=previous_answer(session, row),
    )
