"""Lexflow's lint rules, each on a model that passes and one that does not.

The rules run through the engine's public API: ``Engine.lint`` (storing nothing) and
``Engine.deploy`` (errors refuse, warnings do not), on SQLite only: what they read from the
database (deployed processes) is plain SELECTs that the deploy tests run on both databases.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine import Database, DeploymentError, Engine, ServiceRegistry
from engine.lint import LintProblem
from tests.support.databases import DatabaseFactory
from tests.support.small_models import call, model


@pytest.fixture
def lint_engine(database_factory: DatabaseFactory) -> Iterator[Engine]:
    services = ServiceRegistry()
    services.register("notify", lambda call, **params: None)
    database = Database(database_factory.sqlite())
    yield Engine(database, services=services, role_known={"drafter", "appraiser"}.__contains__)
    database.dispose()


def problems(engine: Engine, *files: bytes) -> list[LintProblem]:
    return engine.lint({f"m{i}.bpmn": raw for i, raw in enumerate(files)})


def found(engine: Engine, *files: bytes) -> set[tuple[str, str | None]]:
    return {(p.rule, p.element_id) for p in problems(engine, *files) if p.is_error}


def test_a_good_model_has_no_problem_and_lint_stores_nothing(lint_engine: Engine) -> None:
    assert problems(lint_engine, model()) == []
    assert lint_engine.definitions() == []


BAD = {
    "unknown-role": (
        model(role="wizard"),
        {("lexflow/role-known", "T"), ("lexflow/role-known", "Lane_1")},
    ),
    "no-role": (
        model(task='<bpmn:userTask id="T"/>').replace(
            b"<bpmn:flowNodeRef>T", b"<bpmn:flowNodeRef>X"
        ),
        {("lexflow/role-known", "T")},
    ),
    "python-escape": (
        model(
            body='<bpmn:scriptTask id="X"><bpmn:script>x = __import__("os")</bpmn:script></bpmn:scriptTask>'
        ),
        {("lexflow/expression", "X"), ("lexflow/dead-end", "X"), ("lexflow/unreachable", "X")},
    ),
    "unregistered-service": (
        model(
            task='<bpmn:serviceTask id="T"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="mail"/></bpmn:extensionElements></bpmn:serviceTask>'
        ),
        {("lexflow/service-operation", "T")},
    ),
    "camunda-service": (
        model(task='<bpmn:serviceTask id="T" camunda:class="org.example.Mail"/>'),
        {("lexflow/service-operation", "T")},
    ),
    "missing-call": (call("p", "nowhere"), {("lexflow/call-activity", "Call_nowhere")}),
    "call-without-target": (
        model(task='<bpmn:callActivity id="T"/>'),
        {("lexflow/call-activity", "T")},
    ),
    "self-call": (call("p", "p"), {("lexflow/call-cycle", "Call_p")}),
    "missing-decision": (
        model(
            task='<bpmn:businessRuleTask id="T"><bpmn:extensionElements><spiffworkflow:calledDecisionId>nope</spiffworkflow:calledDecisionId></bpmn:extensionElements></bpmn:businessRuleTask>'
        ),
        {("lexflow/decision", "T")},
    ),
    "dead-end": (
        model(
            body='<bpmn:userTask id="X"/><bpmn:sequenceFlow id="f3" sourceRef="S" targetRef="X"/>'
        ).replace(
            b"<bpmn:flowNodeRef>T", b"<bpmn:flowNodeRef>X</bpmn:flowNodeRef><bpmn:flowNodeRef>T"
        ),
        {("lexflow/dead-end", "X")},
    ),
    "unreachable": (
        model(
            body='<bpmn:manualTask id="X"/><bpmn:sequenceFlow id="f3" sourceRef="X" targetRef="E"/>'
        ),
        {("lexflow/unreachable", "X")},
    ),
    "no-start": (
        model()
        .replace(
            b'<bpmn:startEvent id="S"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>', b""
        )
        .replace(b'<bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="T"/>', b""),
        {("lexflow/unreachable", "p")},
    ),
    "catch-nothing": (
        model(task='<bpmn:intermediateCatchEvent id="T"/>'),
        {("lexflow/event-trigger", "T")},
    ),
    "message-without-ref": (
        model(
            task='<bpmn:intermediateCatchEvent id="T"><bpmn:messageEventDefinition/></bpmn:intermediateCatchEvent>'
        ),
        {("lexflow/event-trigger", "T")},
    ),
    "message-without-name": (
        model(
            extra='<bpmn:message id="M"/>',
            task='<bpmn:receiveTask id="T" messageRef="M"/>',
        ),
        {("lexflow/event-trigger", "T")},
    ),
    "empty-timer": (
        model(
            task='<bpmn:intermediateCatchEvent id="T"><bpmn:timerEventDefinition/></bpmn:intermediateCatchEvent>'
        ),
        {("lexflow/event-trigger", "T")},
    ),
    "not-executable": (model(executable="false"), {("lexflow/executable-process", "p")}),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_each_rule_finds_its_problem_and_refuses_the_deploy(lint_engine: Engine, case: str) -> None:
    xml, expected = BAD[case]
    assert found(lint_engine, xml) == expected
    with pytest.raises(DeploymentError) as caught:
        lint_engine.deploy({"m.bpmn": xml}, "owner")
    reported = {(d["rule"], d["element_id"]) for d in caught.value.details}
    assert expected <= reported
    assert lint_engine.definitions() == []


def test_each_message_names_what_to_do(lint_engine: Engine) -> None:
    [problem] = [p for p in problems(lint_engine, BAD["camunda-service"][0]) if p.is_error]
    assert (
        "Camunda" in problem.message and "class" in problem.message and "notify" in problem.message
    )
    assert problem.line == 10 and problem.filename == "m0.bpmn"


@pytest.mark.parametrize(
    ("condition", "says"),
    [
        ("${amount &gt; 1}", "JUEL"),
        ("=amount &gt; 1", "FEEL"),
        (
            '<bpmn:conditionExpression language="feel">amount &gt; 1</bpmn:conditionExpression>',
            "feel",
        ),
    ],
    ids=["juel", "feel", "declared-language"],
)
def test_expressions_of_other_modelers_get_a_clear_problem(
    lint_engine: Engine, condition: str, says: str
) -> None:
    if not condition.startswith("<"):
        condition = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>"
    body = f"""<bpmn:exclusiveGateway id="G" default="f4"/>
      <bpmn:sequenceFlow id="f3" sourceRef="G" targetRef="E">{condition}</bpmn:sequenceFlow>
      <bpmn:sequenceFlow id="f4" sourceRef="G" targetRef="E"/>"""
    xml = model(body=body).replace(b'sourceRef="T" targetRef="E"', b'sourceRef="T" targetRef="G"')
    [problem] = problems(lint_engine, xml)
    assert (problem.rule, problem.element_id) == ("lexflow/expression", "f3")
    assert says in problem.message


def test_an_unquoted_timer_value_is_explained(lint_engine: Engine) -> None:
    task = """<bpmn:intermediateCatchEvent id="T"><bpmn:timerEventDefinition>
        <bpmn:timeDuration>PT5M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"""
    [problem] = problems(lint_engine, model(task=task))
    assert problem.rule == "lexflow/expression" and "'PT5M'" in problem.message


def test_a_named_message_can_be_delivered(lint_engine: Engine) -> None:
    xml = model(
        extra='<bpmn:message id="M" name="reply_received"/>',
        task='<bpmn:intermediateCatchEvent id="T"><bpmn:messageEventDefinition messageRef="M"/></bpmn:intermediateCatchEvent>',
    )
    assert found(lint_engine, xml) == set()


def test_calls_resolve_in_the_upload_or_among_deployed_processes(lint_engine: Engine) -> None:
    assert found(lint_engine, call("parent", "child"), model(pid="child")) == set()
    lint_engine.deploy({"child.bpmn": model(pid="child")}, "owner")
    assert found(lint_engine, call("parent", "child")) == set()


def test_call_cycles_are_refused_through_the_upload_and_deployed_versions(
    lint_engine: Engine,
) -> None:
    assert found(lint_engine, call("a", "b"), call("b", "a")) == {
        ("lexflow/call-cycle", "Call_b"),
        ("lexflow/call-cycle", "Call_a"),
    }
    lint_engine.deploy({"c.bpmn": model(pid="c")}, "owner")
    lint_engine.deploy({"b.bpmn": call("b", "c")}, "owner")
    lint_engine.deploy({"a.bpmn": call("a", "b")}, "owner")  # a -> b -> c
    with pytest.raises(DeploymentError) as caught:
        lint_engine.deploy({"c.bpmn": call("c", "a")}, "owner")  # c -> a -> b -> c
    assert caught.value.element_id == "Call_a"
    assert "c → a → b → c" in caught.value.message
    assert [d.version for d in lint_engine.definitions("c")] == [1]


def test_warnings_do_not_block_and_modelling_elements_never_do(lint_engine: Engine) -> None:
    task = '<bpmn:userTask id="T" camunda:assignee="demo" camunda:formKey="embedded:app:x.html"/>'
    body = """<bpmn:dataStoreReference id="Store"/><bpmn:dataObjectReference id="Obj" dataObjectRef="DO"/>
      <bpmn:dataObject id="DO"/><bpmn:textAnnotation id="Note"><bpmn:text>why</bpmn:text></bpmn:textAnnotation>
      <bpmn:association id="A" sourceRef="T" targetRef="Note"/><bpmn:group id="Grp"/>"""
    xml = model(task=task, body=body)
    [warning] = problems(lint_engine, xml)
    assert (warning.rule, warning.severity, warning.element_id) == (
        "lexflow/foreign-setting",
        "warning",
        "T",
    )
    assert "assignee" in warning.message and "formKey" in warning.message
    seen: list[LintProblem] = []
    [info] = lint_engine.deploy({"m.bpmn": xml}, "owner", warnings=seen)
    assert info.created and [(w.rule, w.element_id) for w in seen] == [
        ("lexflow/foreign-setting", "T")
    ]


def test_unreadable_files_are_problems_for_lint(lint_engine: Engine) -> None:
    [problem] = lint_engine.lint({"x.bpmn": b"<bpmn:definitions><oops"})
    assert problem.rule == "lexflow/parse" and problem.is_error and problem.line == 1
    [problem] = lint_engine.lint({"x.bpmn": b'<!DOCTYPE x [<!ENTITY a "b">]><x/>'})
    assert "DTD" in problem.message
