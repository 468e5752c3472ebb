"""Timer event definitions that read the engine clock.

SpiffWorkflow's timers compare with ``datetime.now()`` directly, which makes a timer runner
unable to fire "as of" a given instant and makes 30-day statutory deadlines untestable. These
subclasses keep Spiff's semantics and serialized form (same typenames) but take the time from
:mod:`engine.clock`, accept expressions that evaluate to ``datetime``/``date``/``timedelta``
as well as ISO 8601 strings, and always store the armed instant as an aware UTC ISO string.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from . import clock

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def to_instant(value: Any, *, local_tz: ZoneInfo = LOCAL_TZ) -> datetime:
    """Turn a timeDate expression result into an aware UTC instant.

    A ``date`` means "by the end of that day" (local time), which is how legal deadlines
    are read; a naive datetime or ISO string is local time.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value + timedelta(days=1), time.min)
    elif isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return to_instant(date.fromisoformat(text), local_tz=local_tz)
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not an ISO 8601 date or date-time") from exc
    else:
        raise ValueError(
            f"a timer date must be a date, a date-time or an ISO string, not {value!r}"
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_tz)
    return clock.as_utc(moment)


def _duration(value: Any, start: datetime) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        parsed = TimerEventDefinition.parse_iso_duration(value.strip())
        return TimerEventDefinition.get_timedelta_from_start(parsed, start)
    raise ValueError(f"a timer duration must be an ISO 8601 duration or a timedelta, not {value!r}")


class ClockTimeDate(TimeDateEventDefinition):
    """Fires at a fixed instant (``timeDate``)."""

    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            result = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = to_instant(result).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if datetime.fromisoformat(event_value) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class ClockDuration(DurationTimerEventDefinition):
    """Fires a duration after the event is reached (``timeDuration``)."""

    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            result = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            start = clock.now()
            event_value = (start + _duration(result, start)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if datetime.fromisoformat(event_value) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class ClockCycle(CycleTimerEventDefinition):
    """Fires repeatedly (``timeCycle``, ISO 8601 ``R[n]/start/duration`` forms)."""

    def cycle_complete(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        now = clock.now()
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = _parse_cycle(str(expression), now)
            event_value = {
                "cycles": cycles,
                "next": start.isoformat(),
                "duration": duration.total_seconds(),
            }
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                following = next_event + timedelta(seconds=event_value["duration"])
                event_value["next"] = following.isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


def _parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """Parse ``R[n]/<start|duration>[/<duration|end>]`` relative to the engine clock."""
    parts = expression.upper().replace("--", "/").strip().lstrip("R").split("/")
    if len(parts) not in (2, 3):
        raise ValueError(f"'{expression}' is not an ISO 8601 repeating interval")
    cycles = int(parts[0]) if parts[0] else -1
    first, second = parts[1], parts[2] if len(parts) == 3 else None
    if first.startswith("P") and second is None:
        duration = _duration(first, now)
        return cycles, now + duration, duration
    if first.startswith("P") and second is not None:
        end = to_instant(second)
        duration = _duration(first, end)
        return cycles, end - duration, duration
    start = to_instant(first)
    if second is None or not second.startswith("P"):
        raise ValueError(f"'{expression}' needs a duration after its start date")
    return cycles, start, _duration(second, start)


_REPLACEMENTS: dict[type, type] = {
    TimeDateEventDefinition: ClockTimeDate,
    DurationTimerEventDefinition: ClockDuration,
    CycleTimerEventDefinition: ClockCycle,
}


def use_engine_clock(event_definition: Any) -> Any:
    """Return a clock-aware copy of a Spiff timer definition (others returned unchanged)."""
    if isinstance(event_definition, MultipleEventDefinition):
        event_definition.event_definitions = [
            use_engine_clock(item) for item in event_definition.event_definitions
        ]
        return event_definition
    replacement = _REPLACEMENTS.get(type(event_definition))
    if replacement is None:
        return event_definition
    return replacement(
        event_definition.name,
        event_definition.expression,
        description=event_definition.description,
    )


@dataclass(frozen=True)
class ArmedTimer:
    """A timer a waiting task has armed: when it is due and which element shows it.

    ``element`` is the catch event's spec: the event itself, or, behind an event-based
    gateway, the gateway's branch that the timer leads to (the gateway holds the timers of
    all its branches in one multiple event, which SpiffWorkflow reports without a time).
    """

    task: Any
    element: Any
    due_at: datetime


def armed_timers(workflow: Any) -> Iterator[ArmedTimer]:
    """Every armed timer of ``workflow`` and its sub-processes (any order).

    Reads the tasks SpiffWorkflow's event manager holds as waiting (what it refreshes
    itself), so a timer behind an event-based gateway is seen as well as a plain one.
    """
    for task in list(workflow.event_manager.tasks.values()):
        spec = task.task_spec
        definition = getattr(spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            due = _armed_instant(definition, task)
            if due is not None:
                yield ArmedTimer(task=task, element=spec, due_at=due)
        elif isinstance(definition, MultipleEventDefinition):
            outputs = list(getattr(spec, "outputs", []) or [])
            branches = len(outputs) == len(definition.event_definitions)
            for index, item in enumerate(definition.event_definitions):
                if not isinstance(item, TimerEventDefinition):
                    continue
                due = _armed_instant(item, task)
                if due is not None:
                    yield ArmedTimer(
                        task=task, element=outputs[index] if branches else spec, due_at=due
                    )


def _armed_instant(definition: TimerEventDefinition, task: Any) -> datetime | None:
    value = definition.details(task).value
    if not isinstance(value, str):
        return None
    try:
        return clock.as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def timer_classes() -> dict[type, type]:
    """Spiff class -> clock-aware subclass, for the serializer configuration."""
    return dict(_REPLACEMENTS)
