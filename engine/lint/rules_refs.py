"""Rules about what a model refers to: roles, expressions, operations, called processes.

Each says exactly what an element lacks to execute in Lexflow, in words a process owner can
act on; models exported by other modelers (Camunda, Signavio, bpmn.io) get a sentence naming
the foreign construct (a JUEL ``${...}`` condition, a ``camunda:class``) instead of a parse
error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from lxml import etree

from ..errors import ExpressionError
from ..messages import Message
from ..xmlsafety import SPIFF_NS
from . import model
from .problems import WARNING
from .registry import Finding, Rule
from .subject import LintSubject, candidate_processes

ZEEBE_CALLED = "{http://camunda.org/schema/zeebe/1.0}calledElement"
PYTHON_LANGUAGES = frozenset({"python", "text/x-python", "spiff", "spiffworkflow"})
_ISO_TIMER = re.compile(r"^(R\d*/)?(P(?!$)|\d{4}-\d\d-\d\d)", re.IGNORECASE)


# Executable processes ---------------------------------------------------------------------
def _participants(root: etree._Element) -> dict[str, str]:
    """process id -> id of the pool (participant) that shows it."""
    return {
        str(p.get("processRef")): str(p.get("id"))
        for p in root.iter(model.bpmn("participant"))
        if p.get("processRef") and p.get("id")
    }


def check_executable(subject: LintSubject) -> Iterator[Finding]:
    for document in subject.bpmn_documents():
        processes = list(document.root.iter(model.bpmn("process")))
        pools = _participants(document.root)
        executable = [p for p in processes if model.is_executable(p)]
        if not executable:
            candidates = candidate_processes(document.root) or processes[:1]
            for process in candidates:
                process_id = str(process.get("id") or "")
                yield Finding(
                    pools.get(process_id, process_id) or None,
                    Message(
                        "%(file)s has no executable process: mark the pool Lexflow should run "
                        'as executable (isExecutable="true")',
                        file=document.filename,
                    ),
                )
            if not processes:
                yield Finding(None, Message("%(file)s has no process", file=document.filename))
            continue
        for process in processes:
            if process in executable:
                continue
            process_id = str(process.get("id") or "")
            yield Finding(
                pools.get(process_id, process_id or None),
                Message(
                    "the process '%(process)s' is not executable: Lexflow keeps it as "
                    "documentation and runs only the executable ones",
                    process=process.get("name") or process_id,
                ),
                WARNING,
            )


# Roles --------------------------------------------------------------------------------------
def _lane_role(lane: etree._Element) -> str | None:
    return model.properties(lane).get("role") or lane.get("name") or None


def _lanes_of(process: etree._Element) -> dict[str, etree._Element]:
    """flow node id -> the innermost lane that holds it."""
    holder: dict[str, etree._Element] = {}
    for lane in process.iter(model.bpmn("lane")):  # document order: outer lanes first
        for ref in lane.iterfind(model.bpmn("flowNodeRef")):
            if ref.text and ref.text.strip():
                holder[ref.text.strip()] = lane
    return holder


def check_roles(subject: LintSubject) -> Iterator[Finding]:
    for _document, process in subject.processes():
        lanes = _lanes_of(process)
        for task in process.iter(model.bpmn("userTask")):
            task_id = str(task.get("id") or "")
            lane = lanes.get(task_id)
            role = model.properties(task).get("role") or (
                _lane_role(lane) if lane is not None else None
            )
            if not role:
                yield Finding(
                    task_id,
                    Message(
                        "the user task has no role: put it in a lane (whose name or 'role' "
                        "property is the role) or give it a 'role' property"
                    ),
                )
            elif not subject.role_known(role):
                yield Finding(
                    task_id,
                    Message("the role '%(role)s' is not a role Lexflow knows", role=role),
                )
        for lane in process.iter(model.bpmn("lane")):
            if lane.find(f"{model.bpmn('childLaneSet')}") is not None:
                continue  # a lane of lanes: its inner lanes hold the steps
            role = _lane_role(lane)
            if role and not subject.role_known(role):
                yield Finding(
                    lane.get("id"),
                    Message(
                        "the lane '%(lane)s' stands for the role '%(role)s', which does not "
                        "exist: add the role or name the lane after an existing role",
                        lane=lane.get("name") or lane.get("id"),
                        role=role,
                    ),
                )


# Expressions -------------------------------------------------------------------------------
def foreign_expression(site: model.ExpressionSite) -> Message | None:
    """Why an expression is in another modeler's language, or None if it looks like ours."""
    source = site.source.strip()
    language = (site.language or "").strip().lower()
    if language and language not in PYTHON_LANGUAGES:
        return Message(
            "the %(what)s is written in %(language)s; Lexflow runs only its safe expression "
            "language (Python syntax, such as: amount > 1)",
            what=site.what,
            language=site.language,
        )
    if source.startswith(("${", "#{")):
        return Message(
            "the %(what)s '%(source)s' is a JUEL expression (Camunda 7); write it in Lexflow's "
            "expression language without ${ }, such as: amount > 1",
            what=site.what,
            source=source[:80],
        )
    if source.startswith("=") and not source.startswith("=="):
        return Message(
            "the %(what)s '%(source)s' is a FEEL expression (Camunda 8); write it in Lexflow's "
            "expression language without the leading =, such as: amount > 1",
            what=site.what,
            source=source[:80],
        )
    if site.what.template == "%(part)s expression" and _ISO_TIMER.match(source):  # type: ignore[attr-defined]
        return Message(
            "the timer value %(source)s must be a quoted text in Lexflow: '%(source)s'",
            source=source[:80],
        )
    return None


def check_expressions(subject: LintSubject) -> Iterator[Finding]:
    for _document, process in subject.processes():
        for site in model.expression_sites(process):
            subject.checked_sources.add((site.kind, site.source))
            foreign = foreign_expression(site)
            if foreign is not None:
                yield Finding(site.element_id, foreign)
                continue
            try:
                if site.kind == "script":
                    subject.evaluator.check_script(site.source)
                else:
                    subject.evaluator.check_expression(site.source)
            except ExpressionError as exc:
                yield Finding(
                    site.element_id,
                    Message("%(part)s: %(problem)s", part=site.what, problem=exc.message),
                )


# Service operations --------------------------------------------------------------------------
def _foreign_settings(element: etree._Element) -> list[tuple[str, str]]:
    """(vendor, "prefix:name") of every attribute and extension element of another engine."""
    found = []
    for name in element.attrib:
        namespace = etree.QName(name).namespace
        if namespace in model.FOREIGN_NAMESPACES:
            found.append((model.FOREIGN_NAMESPACES[namespace], etree.QName(name).localname))
    extensions = element.find(model.bpmn("extensionElements"))
    if extensions is not None:
        for child in extensions:
            if not isinstance(child.tag, str):
                continue
            namespace = etree.QName(child).namespace
            if namespace in model.FOREIGN_NAMESPACES:
                found.append((model.FOREIGN_NAMESPACES[namespace], etree.QName(child).localname))
    return found


def check_services(subject: LintSubject) -> Iterator[Finding]:
    known = ", ".join(subject.services.names()) or "none"
    for _document, process in subject.processes():
        for task in process.iter(model.bpmn("serviceTask")):
            operator = task.find(
                f"{model.bpmn('extensionElements')}/{{{SPIFF_NS}}}serviceTaskOperator"
            )
            name = operator.get("id") if operator is not None else None
            if name and name in subject.services:
                continue
            if name:
                yield Finding(
                    task.get("id"),
                    Message(
                        "the service task calls '%(name)s', which is not a registered "
                        "service (registered: %(known)s)",
                        name=name,
                        known=known,
                    ),
                )
                continue
            foreign = _foreign_settings(task)
            if foreign:
                yield Finding(
                    task.get("id"),
                    Message(
                        "the service task is implemented for %(vendor)s (%(settings)s), which "
                        "Lexflow cannot run: choose one of the registered operations (%(known)s)",
                        vendor=foreign[0][0],
                        settings=", ".join(sorted({n for _, n in foreign})),
                        known=known,
                    ),
                )
            else:
                yield Finding(
                    task.get("id"),
                    Message(
                        "the service task names no operation: choose one of the registered "
                        "operations (%(known)s)",
                        known=known,
                    ),
                )


# Called processes and decisions --------------------------------------------------------------
def _called(process: etree._Element) -> Iterator[tuple[etree._Element, str | None]]:
    for call in process.iter(model.bpmn("callActivity")):
        yield call, (call.get("calledElement") or "").strip() or None


def check_call_activities(subject: LintSubject) -> Iterator[Finding]:
    uploaded = subject.uploaded_process_ids()
    for _document, process in subject.processes():
        for call, key in _called(process):
            if key is None:
                zeebe = call.find(f"{model.bpmn('extensionElements')}/{ZEEBE_CALLED}")
                yield Finding(
                    call.get("id"),
                    Message(
                        "the call activity names no process to call: set its calledElement "
                        "to the key of a process%(hint)s",
                        hint=Message(
                            " (zeebe:calledElement names '%(key)s', which Lexflow does not read)",
                            key=zeebe.get("processId") or "",
                        )
                        if zeebe is not None
                        else "",
                    ),
                )
            elif key not in uploaded and not subject.process_deployed(key):
                yield Finding(
                    call.get("id"),
                    Message(
                        "the call activity calls the process '%(key)s', which is neither in "
                        "this upload nor deployed",
                        key=key,
                    ),
                )


def _uploaded_decisions(subject: LintSubject) -> set[str]:
    found = set()
    for document in subject.documents:
        if document.kind != "dmn":
            continue
        for element in document.root.iter():
            if (
                isinstance(element.tag, str)
                and etree.QName(element).localname == "decision"
                and element.get("id")
            ):
                found.add(str(element.get("id")))
    return found


def check_decisions(subject: LintSubject) -> Iterator[Finding]:
    uploaded = _uploaded_decisions(subject)
    for _document, process in subject.processes():
        for task in process.iter(model.bpmn("businessRuleTask")):
            node = task.find(f"{model.bpmn('extensionElements')}/{{{SPIFF_NS}}}calledDecisionId")
            key = (node.text or "").strip() if node is not None else ""
            if not key:
                foreign = [n for _, n in _foreign_settings(task)]
                yield Finding(
                    task.get("id"),
                    Message(
                        "the business rule task names no decision (calledDecisionId)%(hint)s",
                        hint=Message("; %(names)s is not read by Lexflow", names=", ".join(foreign))
                        if foreign
                        else "",
                    ),
                )
            elif key not in uploaded and not subject.decision_deployed(key):
                yield Finding(
                    task.get("id"),
                    Message(
                        "the business rule task uses the decision '%(key)s', which is neither "
                        "in this upload nor deployed",
                        key=key,
                    ),
                )


def check_call_cycles(subject: LintSubject) -> Iterator[Finding]:
    """A process that calls itself, directly or through other processes, never ends."""
    edges: dict[str, list[tuple[str, str | None]]] = {}
    for _document, process in subject.processes():
        process_id = str(process.get("id") or "")
        edges[process_id] = [(key, call.get("id")) for call, key in _called(process) if key]

    def callees(key: str) -> list[str]:
        if key in edges:
            return [callee for callee, _ in edges[key]]
        return sorted(subject.deployed_calls(key))

    reported: set[str | None] = set()
    for start, calls in edges.items():
        for first, call_id in calls:
            path = _path_back(first, start, callees)
            if path is not None and call_id not in reported:
                reported.add(call_id)
                yield Finding(
                    call_id,
                    Message(
                        "calling '%(key)s' makes a cycle (%(path)s): a process may not call "
                        "itself, directly or through other processes",
                        key=first,
                        path=" → ".join([start, *path]),
                    ),
                )


def _path_back(first: str, target: str, callees: Callable[[str], list[str]]) -> list[str] | None:
    """The call path from ``first`` back to ``target``, if there is one (depth-first)."""
    stack: list[tuple[str, list[str]]] = [(first, [first])]
    seen: set[str] = set()
    while stack:
        key, path = stack.pop()
        if key == target:
            return path
        if key in seen:
            continue
        seen.add(key)
        for callee in callees(key):
            stack.append((callee, [*path, callee]))
    return None


# Settings of other engines -------------------------------------------------------------------
#: Settings the service and call rules already name in their errors.
_COVERED = {
    "serviceTask": frozenset(
        {"class", "delegateExpression", "expression", "type", "topic", "taskDefinition"}
    ),
    "callActivity": frozenset({"calledElement"}),
}


def check_foreign_settings(subject: LintSubject) -> Iterator[Finding]:
    for _document, process in subject.processes():
        for element in process.iter():
            tag = model.local(element)
            if tag not in model.FLOW_NODES and tag not in ("process", "sequenceFlow"):
                continue
            settings = _foreign_settings(element)
            covered = _COVERED.get(tag, frozenset())
            settings = [s for s in settings if s[1] not in covered]
            if settings:
                yield Finding(
                    element.get("id"),
                    Message(
                        "Lexflow ignores these %(vendor)s settings: %(settings)s",
                        vendor=settings[0][0],
                        settings=", ".join(sorted({name for _, name in settings})),
                    ),
                )


REFERENCE_RULES = (
    Rule("lexflow/executable-process", check_executable),
    Rule("lexflow/role-known", check_roles),
    Rule("lexflow/expression", check_expressions),
    Rule("lexflow/service-operation", check_services),
    Rule("lexflow/call-activity", check_call_activities),
    Rule("lexflow/decision", check_decisions),
    Rule("lexflow/call-cycle", check_call_cycles),
    Rule("lexflow/foreign-setting", check_foreign_settings, WARNING),
)
