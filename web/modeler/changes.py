"""What changed between two BPMN documents: the list the diff page shows beside the diagrams.

The diagrams are coloured in the browser by bpmn-js-differ; this module computes the *list*
on the server from the two XMLs, so that it is the same for every reader, tested without a
browser, and names the properties Lexflow executes (the task title in both languages, the
lane's role, conditions, scripts, timer expressions, the ``spiffworkflow:property`` values
such as ``role``, ``organisation``, ``dueDate`` and ``formJsonSchemaFilename``, a service
task's operator and parameters), not only the shapes.

An *element* is anything with an id that a diagram draws or a process executes: the
children of a process, sub-process, lane set, collaboration or the definitions. Everything
below an element that is not itself an element (event definitions, expressions, extension
elements, lane membership) is one of its *properties*, flattened to ``path -> text``. An
element whose id changed is removed and added, as bpmn-js-differ sees it; an element whose
only change is its position or size is *moved*. Nothing here touches Flask or a database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from lxml import etree

from engine.xmlsafety import BPMN_NS, SPIFF_NS, parse_model

DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# Parents whose id-bearing children are elements of their own (see the module docstring).
_CONTAINERS = frozenset(
    {
        "definitions",
        "process",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "laneSet",
        "childLaneSet",
        "lane",
        "collaboration",
    }
)
# Derived from the sequence flows' sourceRef/targetRef: listing them would mark every
# neighbour of a new flow as changed twice.
_DERIVED = frozenset({"incoming", "outgoing"})
_PREFIXES = {SPIFF_NS: "spiffworkflow", XSI_NS: "xsi"}


@dataclass(frozen=True)
class PropertyChange:
    """One property of an element: its value before and after (None when absent)."""

    name: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ElementChange:
    """An element added, removed, changed or moved; ``name`` is its newest name."""

    element_id: str
    kind: str  # the BPMN type, e.g. "userTask"
    name: str | None
    properties: tuple[PropertyChange, ...] = ()


@dataclass
class ModelChanges:
    """Everything that differs between two documents, each list sorted by element id."""

    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)
    moved: list[ElementChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.moved)


@dataclass(frozen=True)
class _Element:
    kind: str
    name: str | None
    properties: dict[str, tuple[str, ...]]


def _label(node: etree._Element | str) -> str:
    qname = etree.QName(node)
    prefix = _PREFIXES.get(qname.namespace or "")
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def _is_element(node: etree._Element) -> bool:
    parent = node.getparent()
    return (
        node.get("id") is not None
        and etree.QName(node).namespace == BPMN_NS
        and parent is not None
        and etree.QName(parent).localname in _CONTAINERS
    )


def _step(node: etree._Element) -> str:
    """A child's name in a property path; Lexflow's named extensions by their name."""
    qname = etree.QName(node)
    if qname.namespace == SPIFF_NS and qname.localname == "property" and node.get("name"):
        return str(node.get("name"))
    if qname.namespace == SPIFF_NS and qname.localname == "parameter" and node.get("id"):
        return f"parameter {node.get('id')}"
    return _label(node)


def _flatten(node: etree._Element, path: str, out: dict[str, list[str]]) -> None:
    spiff = etree.QName(node).namespace == SPIFF_NS
    for attr, value in node.attrib.items():
        label = _label(attr)
        if label == "xsi:type" or (path and label == "id" and not spiff):
            continue  # generated ids of event definitions and the like are not a change
        if spiff and label in ("name", "value") and etree.QName(node).localname == "property":
            if label == "value":
                out[path].append(value)
            continue
        if spiff and label in ("id", "value") and etree.QName(node).localname == "parameter":
            if label == "value":
                out[path].append(value)
            continue
        out[f"{path}@{label}" if path else label].append(value)
    text = (node.text or "").strip()
    if path and text:
        out[path].append(text)
    for child in node:
        if not isinstance(child.tag, str) or _is_element(child):
            continue
        if etree.QName(child).localname in _DERIVED and not path:
            continue
        step = _step(child)
        if etree.QName(child).localname in ("extensionElements", "properties", "parameters"):
            _flatten(child, path, out)  # wrappers: "role", not "extensionElements/…/role"
        else:
            _flatten(child, f"{path}/{step}" if path else step, out)


def _elements(root: etree._Element) -> dict[str, _Element]:
    found: dict[str, _Element] = {}
    for node in root.iter(f"{{{BPMN_NS}}}*"):
        if not _is_element(node):
            continue
        values: dict[str, list[str]] = defaultdict(list)
        _flatten(node, "", values)
        values.pop("id", None)
        properties = {key: tuple(sorted(v)) for key, v in values.items()}
        found[str(node.get("id"))] = _Element(
            kind=etree.QName(node).localname,
            name=(node.get("name") or "").strip() or None,
            properties=properties,
        )
    return found


def _layout(root: etree._Element) -> dict[str, tuple[str, ...]]:
    """Each drawn element's bounds or waypoints, keyed by the element's id."""
    shapes: dict[str, tuple[str, ...]] = {}
    for node in root.iter(f"{{{DI_NS}}}BPMNShape", f"{{{DI_NS}}}BPMNEdge"):
        element = node.get("bpmnElement")
        if not element:
            continue
        points = [
            ",".join(f"{float(p.get(a) or 0):.0f}" for a in ("x", "y", "width", "height"))
            for p in node.iter(f"{{{DC_NS}}}Bounds", f"{{{DI_NS}}}waypoint")
            if etree.QName(p).localname != "Bounds" or p.getparent() is node
        ]
        shapes[element] = tuple(points)
    return shapes


def _change(name: str, old: tuple[str, ...], new: tuple[str, ...]) -> PropertyChange:
    """A single value before and after; for a list (a lane's members), what left and joined."""
    if len(old) <= 1 and len(new) <= 1:
        return PropertyChange(name, old[0] if old else None, new[0] if new else None)
    left = [f"− {v}" for v in old if v not in new]
    joined = [f"+ {v}" for v in new if v not in old]
    return PropertyChange(name, ", ".join(left) or None, ", ".join(joined) or None)


def compare(old_xml: str, new_xml: str) -> ModelChanges:
    """The changes from ``old_xml`` to ``new_xml``; DeploymentError if either is unreadable.

    Both documents go through the engine's safe XML front door first.
    """
    old_root = parse_model(old_xml, "old.bpmn").root
    new_root = parse_model(new_xml, "new.bpmn").root
    old, new = _elements(old_root), _elements(new_root)
    old_layout, new_layout = _layout(old_root), _layout(new_root)
    changes = ModelChanges()
    for element_id in sorted(new.keys() - old.keys()):
        item = new[element_id]
        changes.added.append(ElementChange(element_id, item.kind, item.name))
    for element_id in sorted(old.keys() - new.keys()):
        item = old[element_id]
        changes.removed.append(ElementChange(element_id, item.kind, item.name))
    for element_id in sorted(old.keys() & new.keys()):
        before, after = old[element_id], new[element_id]
        names = sorted(before.properties.keys() | after.properties.keys())
        differences = tuple(
            _change(name, before.properties.get(name, ()), after.properties.get(name, ()))
            for name in names
            if before.properties.get(name) != after.properties.get(name)
        )
        if before.kind != after.kind:
            differences = (PropertyChange("type", before.kind, after.kind), *differences)
        item = ElementChange(element_id, after.kind, after.name or before.name, differences)
        if differences:
            changes.changed.append(item)
        elif old_layout.get(element_id) != new_layout.get(element_id):
            changes.moved.append(item)
    return changes
