"""Every ``completed_step`` row again from ``human_task``, in SQL (for rows written in bulk).

The listener in :mod:`workflows.step_times.keeping` keeps the table as steps complete. Rows
put into ``human_task`` around the engine (the dashboard benchmark's copies of the demo's
drafts) are not seen by it; :func:`refill` rebuilds the table from the task rows in one
``INSERT ... SELECT``, with the Vietnamese days computed by the database (UTC+7 all year).
The migration that created the table (w0014_stepfig) fills it with the same statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Date, cast, delete, func, insert, select
from sqlalchemy.orm import Session

from engine.models import HumanTask, ProcessInstance
from workflows.drafts import Draft
from workflows.step_times.model import CompletedStep


def vietnam_day(dialect: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The Vietnamese calendar day of a UTC timestamp column, in SQL."""
    if dialect == "postgresql":
        return cast(func.timezone("Asia/Ho_Chi_Minh", column), Date)
    return func.date(column, "+7 hours")


def refill(session: Session) -> int:
    """Replace every row by one per completed task of a draft's process; the count."""
    dialect = session.get_bind().dialect.name
    session.execute(delete(CompletedStep))
    rows = (
        select(
            HumanTask.id,
            HumanTask.instance_id,
            HumanTask.spec_id,
            ProcessInstance.definition_id,
            Draft.document_type,
            Draft.procedure,
            Draft.lead_agency,
            vietnam_day(dialect, HumanTask.created_at),
            vietnam_day(dialect, HumanTask.completed_at),
        )
        .join(Draft, Draft.instance_id == HumanTask.instance_id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.state == "completed", HumanTask.completed_at.is_not(None))
    )
    columns = [
        "task_id",
        "instance_id",
        "spec_id",
        "definition_id",
        "document_type",
        "procedure",
        "lead_agency",
        "created_day",
        "completed_day",
    ]
    session.execute(insert(CompletedStep).from_select(columns, rows))
    return int(session.execute(select(func.count()).select_from(CompletedStep)).scalar_one())
