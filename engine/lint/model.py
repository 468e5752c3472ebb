"""Reading a BPMN document the way the lint rules need it: scopes, flow nodes, flows, events.

Lint reads the XML itself rather than SpiffWorkflow's specs, so that it still says something
useful about a diagram SpiffWorkflow cannot parse (an export from another modeler, a model
half-drawn in the browser). Only documentation elements are gone by now (the safe front door
strips data objects, stores, annotations, groups and associations), so they can never block.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from ..messages import Message
from ..xmlsafety import BPMN_NS, SPIFF_NS

#: Elements a token can stand on.
FLOW_NODES = frozenset({
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask",
    "sendTask", "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "boundaryEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
    "eventBasedGateway", "complexGateway",
})  # fmt: skip
#: Flow nodes that hold their own flow nodes (a scope of their own).
SCOPES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
ACTIVITIES = frozenset({
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask",
    "sendTask", "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
})  # fmt: skip
#: Vendors whose execution extensions Lexflow does not run (namespace -> name in messages).
FOREIGN_NAMESPACES = {
    "http://camunda.org/schema/1.0/bpmn": "Camunda",
    "http://camunda.org/schema/zeebe/1.0": "Camunda 8 (Zeebe)",
    "http://activiti.org/bpmn": "Activiti",
    "http://flowable.org/bpmn": "Flowable",
}


def bpmn(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def spiff(tag: str) -> str:
    return f"{{{SPIFF_NS}}}{tag}"


def local(element: etree._Element) -> str:
    """The element's tag without namespace ('' for comments and foreign elements)."""
    if not isinstance(element.tag, str):
        return ""
    qname = etree.QName(element)
    return qname.localname if qname.namespace == BPMN_NS else ""


def is_executable(process: etree._Element) -> bool:
    return process.get("isExecutable", "true") == "true"


def flow_nodes(scope: etree._Element) -> list[etree._Element]:
    """The flow nodes directly inside a process or sub-process (not those of nested scopes)."""
    return [child for child in scope if local(child) in FLOW_NODES]


def sequence_flows(scope: etree._Element) -> list[etree._Element]:
    return [child for child in scope if local(child) == "sequenceFlow"]


def scopes(process: etree._Element) -> Iterator[etree._Element]:
    """The process and every sub-process inside it, outermost first."""
    yield process
    for element in process.iter():
        if local(element) in SCOPES:
            yield element


def event_definitions(node: etree._Element) -> list[etree._Element]:
    """The event definitions of an event (inline ones; ``eventDefinitionRef`` counts too)."""
    return [
        child
        for child in node
        if local(child).endswith("EventDefinition") or local(child) == "eventDefinitionRef"
    ]


def properties(element: etree._Element) -> dict[str, str]:
    """``spiffworkflow:property`` values of an element."""
    found: dict[str, str] = {}
    for prop in element.iterfind(
        f"{bpmn('extensionElements')}/{spiff('properties')}/{spiff('property')}"
    ):
        if prop.get("name"):
            found[str(prop.get("name"))] = prop.get("value", "")
    return found


def text_of(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


@dataclass(frozen=True)
class ExpressionSite:
    """One expression or script a model holds, where it is, and what language it says."""

    element_id: str | None
    kind: str  # "expression" | "script"
    what: str  # a Message naming the place ("condition", "script", "timer", ...)
    source: str
    language: str | None  # the declared language or script format, if any


def _language(element: etree._Element) -> str | None:
    return element.get("language") or None


def expression_sites(process: etree._Element) -> Iterator[ExpressionSite]:
    """Every expression and script of an executable process, with the element holding it."""
    for element in process.iter():
        tag = local(element)
        element_id = element.get("id")
        if tag == "sequenceFlow":
            condition = element.find(bpmn("conditionExpression"))
            if condition is not None and text_of(condition):
                yield ExpressionSite(
                    element_id,
                    "expression",
                    Message("condition"),
                    text_of(condition),
                    _language(condition),
                )
        elif tag == "scriptTask":
            script = element.find(bpmn("script"))
            if script is not None and text_of(script):
                yield ExpressionSite(
                    element_id,
                    "script",
                    Message("script"),
                    text_of(script),
                    element.get("scriptFormat") or None,
                )
        if tag in FLOW_NODES:
            extensions = element.find(bpmn("extensionElements"))
            if extensions is not None:
                for name, what in (
                    ("preScript", Message("pre-script")),
                    ("postScript", Message("post-script")),
                ):
                    node = extensions.find(spiff(name))
                    if node is not None and text_of(node):
                        yield ExpressionSite(element_id, "script", what, text_of(node), None)
            for definition in event_definitions(element):
                for part in ("timeDate", "timeDuration", "timeCycle", "condition"):
                    node = definition.find(bpmn(part))
                    if node is not None and text_of(node):
                        yield ExpressionSite(
                            element_id,
                            "expression",
                            Message("%(part)s expression", part=part),
                            text_of(node),
                            _language(node),
                        )
            for loop_tag in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics"):
                loop = element.find(bpmn(loop_tag))
                if loop is None:
                    continue
                for part in ("loopCardinality", "completionCondition", "loopCondition"):
                    node = loop.find(bpmn(part))
                    if node is not None and text_of(node):
                        yield ExpressionSite(
                            element_id,
                            "expression",
                            Message("loop %(attribute)s", attribute=part),
                            text_of(node),
                            _language(node),
                        )


def element_ids(root: etree._Element) -> set[str]:
    return {str(element.get("id")) for element in root.iter() if element.get("id")}
