"""What a workflow waits for from outside: ``message:NAME`` and ``signal:NAME`` entries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

KINDS = ("message", "signal")


def subscription(kind: str, name: str) -> str:
    """The entry of ``waiting_for`` that stands for waiting on ``kind`` ``name``."""
    return f"{kind}:{name}"


def event_kind(definition: Any) -> str | None:
    """``message``, ``signal`` or None (timers, errors, escalations come from inside)."""
    if isinstance(definition, MessageEventDefinition):
        return "message"
    if isinstance(definition, SignalEventDefinition):
        return "signal"
    return None


def _definitions(definition: Any) -> Iterator[Any]:
    if isinstance(definition, MultipleEventDefinition):
        for item in definition.event_definitions:
            yield from _definitions(item)
    elif definition is not None:
        yield definition


def waiting_definitions(workflow: Any) -> Iterator[tuple[Any, Any]]:
    """(waiting task, message or signal definition) of the workflow and its sub-processes."""
    for task in list(workflow.event_manager.tasks.values()):
        for definition in _definitions(getattr(task.task_spec, "event_definition", None)):
            if event_kind(definition) is not None:
                yield task, definition


def entry_of(definition: Any) -> str | None:
    """The ``waiting_for`` entry of a message or signal definition (None for others)."""
    kind = event_kind(definition)
    return subscription(kind, definition.name) if kind and definition.name else None


def waiting_for(workflow: Any) -> list[str] | None:
    """Sorted ``kind:name`` entries the workflow waits for, or None when it waits for none."""
    found = {entry_of(definition) for _task, definition in waiting_definitions(workflow)}
    return sorted(entry for entry in found if entry) or None


def start_events(spec: Any) -> Iterator[tuple[Any, str, str]]:
    """(start event spec, kind, name) of the message and signal start events of a process
    spec (top level: what can start an instance of it)."""
    for task_spec in spec.task_specs.values():
        if not isinstance(task_spec, StartEvent):
            continue
        for definition in _definitions(getattr(task_spec, "event_definition", None)):
            kind = event_kind(definition)
            if kind is not None and definition.name:
                yield task_spec, kind, definition.name
