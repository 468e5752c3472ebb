"""Parsed process specs, the facts the engine needs about their user tasks, and the cache.

A spec blob is the serialized spec of one deployed process plus everything it calls
(subprocess specs, DMN tables inside business-rule tasks), the lanes of those processes and
the JSON resources (form schemas) its user tasks name. Parsing a blob is the slow part of
loading an instance, so parsed blobs are cached per process, keyed by their sha256.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin

from .bpmn_parser import LaneInfo
from .serialization import SPEC_FORMAT, StateSerializer

# User-task extension properties the engine itself understands.
PROP_ROLE = "role"
PROP_ORGANISATION = "organisation"
PROP_TITLE = "title"
PROP_DUE = "dueDate"
PROP_FORM = "formJsonSchemaFilename"
PROP_SEPARATE = "separateFrom"
# The same texts in English, beside the model's own (Vietnamese) ones.
PROP_NAME_EN = "name_en"
PROP_DOCUMENTATION_EN = "documentation_en"
PROP_TITLE_EN = "title_en"


@dataclass(frozen=True)
class UserTaskInfo:
    """Everything about one user task definition that inboxes and authorization use."""

    process_id: str
    spec_name: str  # SpiffWorkflow task spec name (differs from element_id for MI children)
    element_id: str
    name: str | None
    documentation: str | None
    lane: str | None
    role: str | None
    organisation_expr: str | None
    title_expr: str | None
    due_expr: str | None
    form_name: str | None
    form_schema: dict[str, Any] | None
    separate_from: tuple[str, ...]
    properties: dict[str, str] = field(default_factory=dict)
    name_en: str | None = None
    documentation_en: str | None = None
    title_en_expr: str | None = None


@dataclass
class LoadedSpec:
    """A parsed spec blob, shared (read-only) by every instance of its definition."""

    sha256: str
    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]
    lanes: dict[str, dict[str, LaneInfo]]
    resources: dict[str, Any]
    user_tasks: dict[tuple[str, str], UserTaskInfo]

    def task_info(self, task_spec: Any) -> UserTaskInfo | None:
        return self.user_tasks.get((task_spec._wf_spec.name, task_spec.name))

    def user_task_by_element(self, element_id: str) -> UserTaskInfo | None:
        for info in self.user_tasks.values():
            if info.element_id == element_id:
                return info
        return None

    def all_process_specs(self) -> dict[str, Any]:
        return {self.process_id: self.spec, **self.subprocess_specs}


def _properties(task_spec: Any) -> dict[str, str]:
    extensions = getattr(task_spec, "extensions", None) or {}
    props = extensions.get("properties") or {}
    return {str(key): str(value) for key, value in props.items()}


def describe_user_tasks(
    process_specs: dict[str, Any],
    lanes: dict[str, dict[str, LaneInfo]],
    resources: dict[str, Any],
) -> dict[tuple[str, str], UserTaskInfo]:
    """Resolve role, organisation, title, due date and form of every user task.

    ``name_en``/``documentation_en``/``title_en`` properties carry the English beside the
    element's name, documentation and title expression (None where the model has none).
    """
    result: dict[tuple[str, str], UserTaskInfo] = {}
    for process_id, spec in process_specs.items():
        process_lanes = lanes.get(process_id, {})
        for name, task_spec in spec.task_specs.items():
            if not isinstance(task_spec, UserTaskMixin):
                continue
            props = _properties(task_spec)
            lane = process_lanes.get(task_spec.lane) if task_spec.lane else None
            form_name = props.get(PROP_FORM) or None
            separate = tuple(
                item.strip() for item in props.get(PROP_SEPARATE, "").split(",") if item.strip()
            )
            result[(process_id, name)] = UserTaskInfo(
                process_id=process_id,
                spec_name=name,
                element_id=task_spec.bpmn_id or name,
                name=task_spec.bpmn_name,
                documentation=task_spec.documentation,
                lane=task_spec.lane,
                role=props.get(PROP_ROLE) or (lane.role if lane else None),
                organisation_expr=props.get(PROP_ORGANISATION)
                or (lane.organisation if lane else None),
                title_expr=props.get(PROP_TITLE) or None,
                due_expr=props.get(PROP_DUE) or None,
                form_name=form_name,
                form_schema=resources.get(form_name) if form_name else None,
                separate_from=separate,
                properties=props,
                name_en=props.get(PROP_NAME_EN) or None,
                documentation_en=props.get(PROP_DOCUMENTATION_EN) or None,
                title_en_expr=props.get(PROP_TITLE_EN) or None,
            )
    return result


def build_blob(
    serializer: StateSerializer,
    process_id: str,
    spec: Any,
    subprocess_specs: dict[str, Any],
    lanes: dict[str, dict[str, LaneInfo]],
    resources: dict[str, Any],
) -> tuple[str, bytes]:
    """Serialize a process spec with its dependencies; returns (sha256, body)."""
    used = {process_id, *subprocess_specs}
    body = {
        "format": SPEC_FORMAT,
        "process_id": process_id,
        "spec": serializer.spec_to_dict(spec),
        "subprocess_specs": {
            name: serializer.spec_to_dict(sub) for name, sub in sorted(subprocess_specs.items())
        },
        "lanes": {
            pid: {name: lane.to_json() for name, lane in sorted(by_name.items())}
            for pid, by_name in sorted(lanes.items())
            if pid in used
        },
        # Each resource (a form schema) as its own JSON text: the blob's keys are sorted for a
        # stable hash, but a form's properties must keep the order their author wrote.
        "resources": {
            name: json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            for name, value in sorted(resources.items())
        },
    }
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest(), raw


def load_blob(serializer: StateSerializer, sha256: str, raw: bytes) -> LoadedSpec:
    body = json.loads(raw)
    spec = serializer.spec_from_dict(body["spec"])
    subs = {name: serializer.spec_from_dict(dct) for name, dct in body["subprocess_specs"].items()}
    lanes = {
        pid: {name: LaneInfo.from_json(lane) for name, lane in by_name.items()}
        for pid, by_name in body["lanes"].items()
    }
    resources = {
        # Blobs written before resources kept their order hold parsed objects.
        name: json.loads(value) if isinstance(value, str) else value
        for name, value in body.get("resources", {}).items()
    }
    process_specs = {body["process_id"]: spec, **subs}
    return LoadedSpec(
        sha256=sha256,
        process_id=body["process_id"],
        spec=spec,
        subprocess_specs=subs,
        lanes=lanes,
        resources=resources,
        user_tasks=describe_user_tasks(process_specs, lanes, resources),
    )


class SpecCache:
    """Thread-safe LRU of parsed spec blobs, keyed by sha256 (blobs are immutable)."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, LoadedSpec] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha256: str) -> LoadedSpec | None:
        with self._lock:
            item = self._items.get(sha256)
            if item is not None:
                self._items.move_to_end(sha256)
            return item

    def put(self, item: LoadedSpec) -> LoadedSpec:
        with self._lock:
            existing = self._items.get(item.sha256)
            if existing is not None:
                return existing
            self._items[item.sha256] = item
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
            return item
