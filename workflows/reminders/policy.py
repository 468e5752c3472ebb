"""Reminder and escalation policies: rows an administrator edits, with a built-in default.

A policy applies to a document type (the process key, ``""`` for every type) and a step
(the BPMN element id of the user task, ``""`` for every step). The most specific row wins:
type and step, then step alone, then type alone, then the ``""``/``""`` row, then
:data:`DEFAULT_POLICY`. All counts are working days of the Vietnamese calendar.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import Actor, Message, audit, clock
from engine.models import Base

MAX_DAYS = 60
STEP_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")


class ReminderPolicy(Base):
    __tablename__ = "reminder_policy"
    __table_args__ = (UniqueConstraint("document_type", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_type: Mapped[str] = mapped_column(String(40), default="")
    step: Mapped[str] = mapped_column(String(100), default="")
    remind_days_before: Mapped[int] = mapped_column(Integer, default=0)
    remind_on_due: Mapped[bool] = mapped_column(Boolean, default=True)
    escalate_head_after: Mapped[int | None] = mapped_column(Integer)
    escalate_office_after: Mapped[int | None] = mapped_column(Integer)
    repeat_every: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]


@dataclass(frozen=True)
class PolicyValues:
    """What a policy says (``None``: that escalation, or repeating, is off)."""

    remind_days_before: int = 2
    remind_on_due: bool = True
    escalate_head_after: int | None = 1
    escalate_office_after: int | None = 5
    repeat_every: int | None = 5

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


#: Used where no row applies: remind two working days before and on the day; tell the agency
#: head one working day late and the office five; repeat every five working days.
DEFAULT_POLICY = PolicyValues()


class PolicyProblem(ValueError):
    """A policy that cannot be saved; ``problems`` maps each field to its message."""

    def __init__(self, problems: dict[str, Message]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def _values(row: ReminderPolicy) -> PolicyValues:
    return PolicyValues(
        remind_days_before=row.remind_days_before,
        remind_on_due=row.remind_on_due,
        escalate_head_after=row.escalate_head_after,
        escalate_office_after=row.escalate_office_after,
        repeat_every=row.repeat_every,
    )


def policies(session: Session) -> list[ReminderPolicy]:
    return list(
        session.execute(
            select(ReminderPolicy).order_by(ReminderPolicy.document_type, ReminderPolicy.step)
        ).scalars()
    )


class PolicyTable:
    """All rows read once, for a scan over many tasks."""

    def __init__(self, rows: list[ReminderPolicy]) -> None:
        self._rows = {(row.document_type, row.step): _values(row) for row in rows}

    def lookup(self, document_type: str, step: str) -> PolicyValues:
        for key in ((document_type, step), ("", step), (document_type, ""), ("", "")):
            found = self._rows.get(key)
            if found is not None:
                return found
        return DEFAULT_POLICY


def policy_for(session: Session, document_type: str, step: str) -> PolicyValues:
    return PolicyTable(policies(session)).lookup(document_type, step)


def _check(
    document_type: str, step: str, values: PolicyValues, known_types: set[str]
) -> dict[str, Message]:
    problems: dict[str, Message] = {}
    if document_type and document_type not in known_types:
        problems["document_type"] = Message("unknown document type %(type)s", type=document_type)
    if step and not STEP_PATTERN.match(step):
        problems["step"] = Message(
            "a step is the id of a user task in the model (letters, digits, _ . -)"
        )

    def days(name: str, value: int | None, *, minimum: int, optional: bool) -> None:
        if value is None:
            if not optional:
                problems[name] = Message("a number of working days is required")
            return
        if not minimum <= value <= MAX_DAYS:
            problems[name] = Message(
                "between %(low)s and %(high)s working days", low=minimum, high=MAX_DAYS
            )

    days("remind_days_before", values.remind_days_before, minimum=0, optional=False)
    days("escalate_head_after", values.escalate_head_after, minimum=1, optional=True)
    days("escalate_office_after", values.escalate_office_after, minimum=1, optional=True)
    days("repeat_every", values.repeat_every, minimum=1, optional=True)
    head, office = values.escalate_head_after, values.escalate_office_after
    if head is not None and office is not None and office <= head and not problems:
        problems["escalate_office_after"] = Message(
            "the office is told after the agency head: more working days than %(days)s",
            days=head,
        )
    return problems


def save_policy(
    session: Session,
    actor: Actor,
    document_type: str,
    step: str,
    values: PolicyValues,
    *,
    known_types: set[str],
) -> ReminderPolicy:
    """Create or replace the policy of (type, step); audited on the ``reminders`` stream."""
    document_type, step = document_type.strip(), step.strip()
    problems = _check(document_type, step, values, known_types)
    if problems:
        raise PolicyProblem(problems)
    row = session.execute(
        select(ReminderPolicy).where(
            ReminderPolicy.document_type == document_type, ReminderPolicy.step == step
        )
    ).scalar_one_or_none()
    before = _values(row).as_dict() if row is not None else None
    if row is None:
        row = ReminderPolicy(document_type=document_type, step=step)
        session.add(row)
    for name, value in values.as_dict().items():
        setattr(row, name, value)
    row.updated_by, row.updated_at = actor.id, clock.now()
    session.flush()
    audit.append_stream_event(
        session,
        "reminders",
        actor=actor.id,
        action="reminder_policy_saved",
        data={
            "document_type": document_type,
            "step": step,
            "before": before,
            "after": values.as_dict(),
        },
    )
    return row


def delete_policy(session: Session, actor: Actor, policy_id: int) -> bool:
    row = session.get(ReminderPolicy, policy_id)
    if row is None:
        return False
    audit.append_stream_event(
        session,
        "reminders",
        actor=actor.id,
        action="reminder_policy_deleted",
        data={"document_type": row.document_type, "step": row.step, "was": _values(row).as_dict()},
    )
    session.delete(row)
    session.flush()
    return True
