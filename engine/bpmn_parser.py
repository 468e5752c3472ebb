"""SpiffWorkflow's parser, configured for Lexflow.

We use the SpiffWorkflow dialect (``spiffworkflow:properties``, ``serviceTaskOperator``,
``calledDecisionId``, pre/post scripts) because its extensions are what a bpmn-js properties
panel writes, and subclass its parser rather than edit the library:

* manual tasks are performed outside the system, so they pass straight through;
* timer events read the engine clock (:mod:`engine.timer_events`);
* lanes are read with their own ``spiffworkflow:properties`` (``role``, ``organisation``),
  which SpiffWorkflow ignores, so a lane can stand for "the role R in organisation O".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.defaults import NoneTask

from .messages import Message
from .timer_events import use_engine_clock
from .xmlsafety import BPMN_NS, SPIFF_NS

UNSUPPORTED_ELEMENTS = {
    "complexGateway": Message(
        "complex gateways have no executable semantics here; use an inclusive or exclusive "
        "gateway with conditions"
    ),
    "choreographyTask": Message(
        "choreographies describe message exchanges between partners and are not executable"
    ),
    "subChoreography": Message("choreographies are not executable"),
    "callChoreography": Message("choreographies are not executable"),
}


@dataclass(frozen=True)
class LaneInfo:
    """What a lane stands for: a role, optionally in an organisation given by an expression."""

    id: str
    name: str | None
    role: str | None
    organisation: str | None
    properties: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "organisation": self.organisation,
            "properties": dict(self.properties),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LaneInfo:
        return cls(
            id=data["id"],
            name=data.get("name"),
            role=data.get("role"),
            organisation=data.get("organisation"),
            properties=dict(data.get("properties") or {}),
        )


class PassThroughTask(NoneTask):
    """An abstract ``bpmn:task`` or a ``bpmn:manualTask``: done outside the system, no wait.

    SpiffWorkflow marks both as manual (waiting for a person); in Lexflow a step that waits
    for a person is a user task with a role, so these complete as soon as they are reached.
    """

    def __init__(self, wf_spec: Any, name: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, name, **kwargs)
        self.manual = False


class LexflowParser(SpiffBpmnParser):
    """SpiffBpmnParser with Lexflow's element mapping and clock-aware timers."""

    OVERRIDE_PARSER_CLASSES: ClassVar = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("task"): (SpiffTaskParser, PassThroughTask),
        full_tag("manualTask"): (SpiffTaskParser, PassThroughTask),
    }

    def get_spec(self, process_id: str, required: bool = True) -> Any:
        spec = super().get_spec(process_id, required=required)
        if spec is not None and not getattr(spec, "_lexflow_clock", False):
            for task_spec in spec.task_specs.values():
                definition = getattr(task_spec, "event_definition", None)
                if isinstance(task_spec, CatchingEvent) and definition is not None:
                    task_spec.event_definition = use_engine_clock(definition)
            spec._lexflow_clock = True
        return spec


def has_timer(task_spec: Any) -> bool:
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return True
    return any(
        isinstance(item, TimerEventDefinition)
        for item in getattr(definition, "event_definitions", []) or []
    )


# SpiffWorkflow names its own internal task specs like this; a BPMN element with one of these
# ids would silently replace them and break the process graph.
RESERVED_IDS = frozenset({"Start", "End", "Root"})


def unsupported_elements(root: etree._Element) -> list[tuple[str, str, int | None]]:
    """(element id, reason, line) for every element Lexflow cannot execute."""
    found = []
    for tag, reason in UNSUPPORTED_ELEMENTS.items():
        for element in root.iter(f"{{{BPMN_NS}}}{tag}"):
            problem = Message("<%(tag)s>: %(reason)s", tag=tag, reason=reason)
            found.append((element.get("id") or tag, problem, element.sourceline))
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        reserved = RESERVED_IDS | {f"{process.get('id')}.EndJoin"}
        for element in process.iter():
            element_id = element.get("id")
            if element_id in reserved:
                found.append(
                    (
                        element_id,
                        Message(
                            "the id '%(id)s' is reserved by the engine; rename the element",
                            id=element_id,
                        ),
                        element.sourceline,
                    )
                )
    return found


def _properties(element: etree._Element) -> dict[str, str]:
    props: dict[str, str] = {}
    for prop in element.iterfind(
        f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"
    ):
        name = prop.get("name")
        if name:
            props[name] = prop.get("value", "")
    return props


def read_lanes(root: etree._Element) -> dict[str, dict[str, LaneInfo]]:
    """Lanes per process id, keyed by lane name (SpiffWorkflow records a task's lane by name).

    A lane's role is its ``role`` property, else its name; ``organisation`` is an expression
    evaluated in the task's data when a task in the lane becomes ready.
    """
    lanes: dict[str, dict[str, LaneInfo]] = {}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        by_name: dict[str, LaneInfo] = {}
        for lane in process.iter(f"{{{BPMN_NS}}}lane"):
            props = _properties(lane)
            name = lane.get("name")
            info = LaneInfo(
                id=lane.get("id") or "",
                name=name,
                role=(props.get("role") or name or None),
                organisation=props.get("organisation") or None,
                properties=props,
            )
            if name:
                by_name[name] = info
        lanes[process.get("id") or ""] = by_name
    return lanes
