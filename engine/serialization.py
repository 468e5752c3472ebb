"""Storage formats: process specs stored once, instance state stored without the spec.

SpiffWorkflow's serializer writes the whole spec into every workflow's JSON. Lexflow stores
each definition's spec once (content-addressed, see :class:`engine.models.SpecBlob`) and keeps
instance rows small: :class:`SpeclessWorkflowConverter` leaves ``spec`` and
``subprocess_specs`` out and takes them back, already parsed, from the spec cache on load.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter

from .bpmn_parser import PassThroughTask
from .state_pruning import pruned_from_dict, pruned_to_dict
from .timer_events import timer_classes

STATE_FORMAT = "json+zlib"
SPEC_FORMAT = 1


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Workflow converter that neither writes nor reads the specs."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        dct["pruned_specs"] = pruned_to_dict(workflow)
        return dct

    def from_dict(  # type: ignore[override]
        self,
        dct: dict[str, Any],
        spec: Any = None,
        subprocess_specs: dict[str, Any] | None = None,
        script_engine: Any = None,
    ) -> BpmnWorkflow:
        if spec is None or script_engine is None:
            raise ValueError("a stored workflow needs its spec and a script engine to load")
        workflow = self.target_class(
            spec, subprocess_specs or {}, script_engine=script_engine, deserializing=True
        )
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        pruned_from_dict(workflow, dct.get("pruned_specs"))
        return workflow


def _registry() -> Any:
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    SpeclessWorkflowConverter(BpmnWorkflow, registry)
    SpiffBpmnTaskConverter(PassThroughTask, registry, "LexflowPassThroughTask")
    # Clock-aware timers serialize under SpiffWorkflow's own typenames, so stored specs stay
    # readable by plain SpiffWorkflow and load back as the clock-aware classes.
    for spiff_class, clock_class in timer_classes().items():
        TimerConditionalEventDefinitionConverter(clock_class, registry, spiff_class.__name__)
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"])
    )
    return registry


class StateSerializer(BpmnWorkflowSerializer):
    """Dumps and loads instance state (bytes) and process specs (dicts)."""

    def __init__(self) -> None:
        super().__init__(registry=_registry())

    # Instance state -------------------------------------------------------------------
    def dump_state(
        self, workflow: BpmnWorkflow, check_size: Callable[[int], None] | None = None
    ) -> bytes:
        """The instance state, compressed; ``check_size`` is shown the size of the JSON
        first (it raises to refuse a state that has grown too large)."""
        self.registry._encoder_mode = True
        try:
            dct = self.to_dict(workflow)
            dct[self.VERSION_KEY] = self.VERSION
            text = json.dumps(dct, cls=self._encoder_cls, separators=(",", ":"))
        finally:
            self.registry._encoder_mode = False
        if check_size is not None:
            check_size(len(text))
        return zlib.compress(text.encode("utf-8"), 1)

    def load_state(
        self,
        blob: bytes,
        spec: Any,
        subprocess_specs: dict[str, Any],
        script_engine: Any,
    ) -> BpmnWorkflow:
        dct = json.loads(zlib.decompress(blob))
        self.migrate(dct)
        return self.registry.restore(
            dct, spec=spec, subprocess_specs=subprocess_specs, script_engine=script_engine
        )

    # Specs -------------------------------------------------------------------------------
    def spec_to_dict(self, spec: Any) -> dict[str, Any]:
        return self.registry.convert(spec)

    def spec_from_dict(self, dct: dict[str, Any]) -> Any:
        return self.registry.restore(dct)
