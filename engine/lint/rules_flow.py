"""Rules about the flow: every token can go on, every step can be reached, every wait ends.

A flow node other than an end event with nothing after it leaves its token stranded; a node
no path reaches is a step nobody will ever do; an event waiting for something nothing can
send (no message, no timer value, no matching link) waits forever. A message catch counts
as deliverable when it names a ``bpmn:message`` with a name: the message API delivers by
that name. Compensation handlers and ad-hoc sub-processes are exempt (they have no flows).
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ..messages import Message
from . import model
from .registry import Finding, Rule
from .subject import LintSubject

_CATCHING = frozenset({"intermediateCatchEvent", "boundaryEvent", "startEvent", "receiveTask"})


def _is_compensation(node: etree._Element) -> bool:
    if node.get("isForCompensation") == "true":
        return True
    return any(model.local(d) == "compensateEventDefinition" for d in model.event_definitions(node))


def _link_name(node: etree._Element) -> str | None:
    for definition in model.event_definitions(node):
        if model.local(definition) == "linkEventDefinition":
            return definition.get("name") or ""
    return None


def _flow_scopes(subject: LintSubject) -> Iterator[etree._Element]:
    for _document, process in subject.processes():
        for scope in model.scopes(process):
            if model.local(scope) != "adHocSubProcess":
                yield scope


def check_dead_ends(subject: LintSubject) -> Iterator[Finding]:
    for scope in _flow_scopes(subject):
        sources = {flow.get("sourceRef") for flow in model.sequence_flows(scope)}
        for node in model.flow_nodes(scope):
            tag = model.local(node)
            if tag == "endEvent" or node.get("id") in sources or _is_compensation(node):
                continue
            if tag == "intermediateThrowEvent" and _link_name(node) is not None:
                continue  # a link throw jumps to its catch
            yield Finding(
                node.get("id"),
                Message(
                    "nothing follows this %(kind)s: connect it to the next step or to an end event",
                    kind=tag,
                ),
            )


def check_unreachable(subject: LintSubject) -> Iterator[Finding]:
    for scope in _flow_scopes(subject):
        nodes = {str(n.get("id")): n for n in model.flow_nodes(scope) if n.get("id")}
        if not nodes:
            continue
        starts = [i for i, n in nodes.items() if model.local(n) == "startEvent"]
        if not starts:
            yield Finding(
                scope.get("id"),
                Message("the %(kind)s has no start event", kind=model.local(scope)),
            )
            continue
        following: dict[str, list[str]] = {}
        for flow in model.sequence_flows(scope):
            following.setdefault(str(flow.get("sourceRef")), []).append(str(flow.get("targetRef")))
        attached: dict[str, list[str]] = {}
        links: dict[str, list[str]] = {}
        for node_id, node in nodes.items():
            if model.local(node) == "boundaryEvent":
                attached.setdefault(str(node.get("attachedToRef")), []).append(node_id)
            name = _link_name(node)
            if model.local(node) == "intermediateCatchEvent" and name is not None:
                links.setdefault(name, []).append(node_id)
        reached: set[str] = set()
        todo = list(starts)
        while todo:
            node_id = todo.pop()
            if node_id in reached or node_id not in nodes:
                continue
            reached.add(node_id)
            todo.extend(following.get(node_id, []))
            todo.extend(attached.get(node_id, []))
            node = nodes[node_id]
            name = _link_name(node)
            if model.local(node) == "intermediateThrowEvent" and name is not None:
                todo.extend(links.get(name, []))
        for node_id, node in nodes.items():
            if node_id in reached or _is_compensation(node):
                continue
            if model.local(node) in model.SCOPES and node.get("triggeredByEvent") == "true":
                continue  # an event sub-process starts by its own event
            yield Finding(
                node_id,
                Message(
                    "no path from a start event reaches this %(kind)s",
                    kind=model.local(node),
                ),
            )


def check_triggers(subject: LintSubject) -> Iterator[Finding]:
    messages = subject.messages()
    signals = subject.signals()
    for scope in _flow_scopes(subject):
        event_subprocess = scope.get("triggeredByEvent") == "true"
        throws = {
            _link_name(n)
            for n in model.flow_nodes(scope)
            if model.local(n) == "intermediateThrowEvent" and _link_name(n) is not None
        }
        for node in model.flow_nodes(scope):
            tag = model.local(node)
            if tag not in _CATCHING:
                continue
            node_id = node.get("id")
            definitions = model.event_definitions(node)
            if tag == "receiveTask":
                yield from _message_problem(node_id, node.get("messageRef"), messages)
                continue
            if not definitions:
                if tag == "startEvent" and not event_subprocess:
                    continue  # a plain start: the process is started through Lexflow
                yield Finding(
                    node_id,
                    Message(
                        "this %(kind)s waits for nothing that can happen: give it a message, "
                        "timer, signal or condition, or remove it",
                        kind=tag,
                    ),
                )
                continue
            for definition in definitions:
                yield from _definition_problems(node_id, definition, messages, signals, throws)


def _message_problem(
    node_id: str | None, ref: str | None, messages: dict[str, etree._Element]
) -> Iterator[Finding]:
    if not ref:
        yield Finding(
            node_id,
            Message(
                "this step waits for a message but names none: choose a message (with a name) "
                "so that it can be delivered"
            ),
        )
    elif ref not in messages:
        yield Finding(
            node_id,
            Message("the message '%(ref)s' is not defined in this model", ref=ref),
        )
    elif not (messages[ref].get("name") or "").strip():
        yield Finding(
            node_id,
            Message(
                "the message '%(ref)s' has no name, so nothing can deliver it: give it a name",
                ref=ref,
            ),
        )


def _definition_problems(
    node_id: str | None,
    definition: etree._Element,
    messages: dict[str, etree._Element],
    signals: dict[str, etree._Element],
    throws: set[str | None],
) -> Iterator[Finding]:
    kind = model.local(definition)
    if kind == "messageEventDefinition":
        yield from _message_problem(node_id, definition.get("messageRef"), messages)
    elif kind == "signalEventDefinition":
        ref = definition.get("signalRef")
        if not ref or ref not in signals or not (signals[ref].get("name") or "").strip():
            yield Finding(
                node_id,
                Message(
                    "this event waits for a signal but names no signal with a name, so nothing "
                    "can send it"
                ),
            )
    elif kind == "timerEventDefinition":
        parts = [definition.find(model.bpmn(p)) for p in ("timeDate", "timeDuration", "timeCycle")]
        if not any(model.text_of(part) for part in parts if part is not None):
            yield Finding(
                node_id,
                Message("the timer has no date, duration or cycle, so it never fires"),
            )
    elif kind == "conditionalEventDefinition":
        if not model.text_of(definition.find(model.bpmn("condition"))):
            yield Finding(node_id, Message("the conditional event has no condition"))
    elif kind == "linkEventDefinition" and (definition.get("name") or "") not in throws:
        yield Finding(
            node_id,
            Message(
                "no link event throws the link '%(name)s' in this process",
                name=definition.get("name") or "",
            ),
        )


def check_gateway_conditions(subject: LintSubject) -> Iterator[Finding]:
    """Of several flows leaving an exclusive or inclusive gateway, each needs a condition
    unless it is the default: otherwise which way a draft goes is left to chance (an
    exported diagram often carries only the flows' names, "yes" and "no")."""
    for scope in _flow_scopes(subject):
        leaving: dict[str, list[etree._Element]] = {}
        for flow in model.sequence_flows(scope):
            leaving.setdefault(str(flow.get("sourceRef")), []).append(flow)
        for node in model.flow_nodes(scope):
            if model.local(node) not in ("exclusiveGateway", "inclusiveGateway"):
                continue
            flows = leaving.get(str(node.get("id")), [])
            if len(flows) < 2:
                continue
            for flow in flows:
                if flow.get("id") == node.get("default"):
                    continue
                if not model.text_of(flow.find(model.bpmn("conditionExpression"))):
                    yield Finding(
                        flow.get("id"),
                        Message(
                            "the flow '%(flow)s' leaves a gateway with other flows but has no "
                            "condition: give it one, or make it the gateway's default flow",
                            flow=flow.get("name") or flow.get("id"),
                        ),
                    )


FLOW_RULES = (
    Rule("lexflow/dead-end", check_dead_ends),
    Rule("lexflow/unreachable", check_unreachable),
    Rule("lexflow/event-trigger", check_triggers),
    Rule("lexflow/gateway-condition", check_gateway_conditions),
)
