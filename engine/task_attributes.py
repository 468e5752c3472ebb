"""What people plan for an open task: its priority and its follow-up date.

Both live on the human-task projection only (never in the workflow state): the priority
starts from the model's ``priority`` extension property of the user task (``low``,
``normal``, ``high``, ``urgent`` or 0–3; ``normal`` when the model says nothing), and the
follow-up date ("look at this again on …") is unset until someone sets it. The assignee or a
supervisor of the task's organisation changes them (:meth:`engine.tasks.TaskService.plan`);
each change is one audited, versioned update of the instance, like a claim, so two people
changing the same task get one success and one Conflict. This module only decides (no I/O).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from . import clock
from .errors import InvalidData
from .messages import Message
from .models import HumanTask
from .timer_events import LOCAL_TZ

#: Priority levels, lowest first (the column stores the number).
PRIORITIES: Final[dict[str, int]] = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
PRIORITY_NAMES: Final[dict[int, str]] = {level: name for name, level in PRIORITIES.items()}
NORMAL: Final = PRIORITIES["normal"]
#: The user-task extension property giving the step's priority.
PROP_PRIORITY: Final = "priority"


class Unset:
    """Marks an attribute the caller leaves as it is (``None`` clears a follow-up date)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


def today() -> date:
    """Today where the people work (the engine's local time zone), from the engine clock."""
    return clock.now().astimezone(LOCAL_TZ).date()


def priority_level(value: str | int | None) -> int | None:
    """A level from its name or number (``None`` for anything else)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in PRIORITY_NAMES else None
    text = (value or "").strip().lower()
    if text in PRIORITIES:
        return PRIORITIES[text]
    if text.isdigit() and int(text) in PRIORITY_NAMES:
        return int(text)
    return None


def model_priority(properties: dict[str, str]) -> int:
    """The priority a new task of this step starts with (deploy refuses a bad value)."""
    raw = properties.get(PROP_PRIORITY)
    level = priority_level(raw) if raw else None
    return NORMAL if level is None else level


def property_problem(properties: dict[str, str]) -> Message | None:
    """Why the step's ``priority`` property is not a level (checked at deploy)."""
    raw = properties.get(PROP_PRIORITY)
    if raw is None or priority_level(raw) is not None:
        return None
    return Message(
        "property 'priority': '%(value)s' is not one of %(levels)s",
        value=raw[:40],
        levels=", ".join(PRIORITIES),
    )


@dataclass(frozen=True)
class AttributeChange:
    """New values to write; :data:`UNSET` leaves an attribute as it is."""

    priority: int | str | Unset = UNSET
    follow_up_on: date | Unset | None = UNSET


def planned_values(
    row: HumanTask, change: AttributeChange
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns ``change`` moves on ``row`` and the audit data saying so (both empty when
    nothing moves); InvalidData for a level that is not one or a day before today."""
    values: dict[str, Any] = {}
    if not isinstance(change.priority, Unset):
        level = priority_level(change.priority)
        if level is None:
            raise InvalidData(
                Message("the priority must be one of %(levels)s", levels=", ".join(PRIORITIES)),
                task_id=row.id,
                details=[{"field": "priority", "message": Message("is not a priority")}],
            )
        if level != row.priority:
            values["priority"] = level
    if not isinstance(change.follow_up_on, Unset):
        day = change.follow_up_on
        if day is not None and (not isinstance(day, date) or isinstance(day, datetime)):
            raise InvalidData(Message("the follow-up date is not a date"), task_id=row.id)
        if day is not None and day < today():
            raise InvalidData(
                Message("the follow-up date cannot be in the past"),
                task_id=row.id,
                details=[{"field": "follow_up_on", "message": Message("is in the past")}],
            )
        if day != row.follow_up_on:
            values["follow_up_on"] = day
    data: dict[str, Any] = {}
    if "priority" in values:
        data["priority"] = PRIORITY_NAMES[values["priority"]]
        data["previous_priority"] = PRIORITY_NAMES.get(row.priority)
    if "follow_up_on" in values:
        new, old = values["follow_up_on"], row.follow_up_on
        data["follow_up_on"] = new.isoformat() if new is not None else None
        data["previous_follow_up_on"] = old.isoformat() if old is not None else None
    return values, data
