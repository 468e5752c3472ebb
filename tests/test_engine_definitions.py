"""Deploying definitions: versioning, idempotence, dependencies and refusals."""

from __future__ import annotations

import pytest

from engine import DeploymentError, Engine
from tests.conftest import read_model

BUNDLE = {
    "review.bpmn": read_model("review.bpmn"),
    "appraisal.bpmn": read_model("appraisal.bpmn"),
    "draft_form.json": read_model("draft_form.json"),
    "appraisal_form.json": read_model("appraisal_form.json"),
}


def _minimal(process_id: str = "p", body: str = "", extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  {extra}
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="e"/>
    <bpmn:endEvent id="e"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    {body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_deploy_creates_version_one_of_each_file(engine: Engine) -> None:
    infos = engine.deploy(BUNDLE, "owner", note="first")
    by_key = {info.key: info for info in infos}
    assert set(by_key) == {"review", "appraisal", "draft_form.json", "appraisal_form.json"}
    assert all(info.version == 1 and info.created for info in infos)
    assert by_key["review"].kind == "bpmn" and by_key["draft_form.json"].kind == "json"
    assert by_key["review"].name == "Draft review"
    assert by_key["review"].deployed_by == "owner" and by_key["review"].note == "first"


def test_same_xml_again_is_a_no_op(engine: Engine) -> None:
    first = {i.key: i for i in engine.deploy(BUNDLE, "owner")}
    again = {i.key: i for i in engine.deploy(BUNDLE, "someone-else")}
    for key, info in again.items():
        assert not info.created
        assert info.id == first[key].id and info.version == 1
    assert len(engine.definitions()) == 4


def test_changed_xml_makes_a_new_version_and_keeps_the_old(engine: Engine) -> None:
    engine.deploy(BUNDLE, "owner")
    changed = BUNDLE["review.bpmn"].replace(b"Sign the submission", b"Sign the submission now")
    infos = {i.key: i for i in engine.deploy({**BUNDLE, "review.bpmn": changed}, "owner")}
    assert infos["review"].version == 2 and infos["review"].created
    assert not infos["appraisal"].created
    versions = [(d.key, d.version) for d in engine.definitions("review")]
    assert versions == [("review", 1), ("review", 2)]
    assert (
        b"now"
        not in engine.definition_xml(versions and engine.definitions("review")[0].id).encode()
    )


def test_called_process_is_taken_from_deployed_definitions(engine: Engine) -> None:
    engine.deploy(
        {
            "appraisal.bpmn": BUNDLE["appraisal.bpmn"],
            "appraisal_form.json": BUNDLE["appraisal_form.json"],
        },
        "owner",
    )
    infos = {
        i.key: i
        for i in engine.deploy(
            {"review.bpmn": BUNDLE["review.bpmn"], "draft_form.json": BUNDLE["draft_form.json"]},
            "owner",
        )
    }
    assert infos["review"].created
    spec = engine.loaded_spec(infos["review"].id)
    assert "appraisal" in spec.subprocess_specs


def test_a_new_version_of_a_called_process_changes_the_caller_identity(engine: Engine) -> None:
    first = {i.key: i for i in engine.deploy(BUNDLE, "owner")}
    appraisal_v2 = BUNDLE["appraisal.bpmn"].replace(b"Appraise the draft", b"Appraise it")
    deployed = {
        i.key: i
        for i in engine.deploy(
            {"appraisal.bpmn": appraisal_v2, "appraisal_form.json": BUNDLE["appraisal_form.json"]},
            "owner",
        )
    }
    # Same review XML, but it now calls appraisal v2: a new, distinct version, deployed in
    # the same action because review calls appraisal.
    assert deployed["review"].created and deployed["review"].version == 2
    assert deployed["review"].redeployed_for == ("appraisal",)
    assert deployed["review"].sha256 != first["review"].sha256
    again = engine.deploy(
        {"review.bpmn": BUNDLE["review.bpmn"], "draft_form.json": BUNDLE["draft_form.json"]},
        "owner",
    )
    assert not any(i.created for i in again)


def test_missing_called_process_is_refused_naming_the_call_activity(engine: Engine) -> None:
    with pytest.raises(DeploymentError) as caught:
        engine.deploy(
            {"review.bpmn": BUNDLE["review.bpmn"], "draft_form.json": BUNDLE["draft_form.json"]},
            "owner",
        )
    assert "appraisal" in caught.value.message
    assert caught.value.element_id == "Call_appraisal"
    assert engine.definitions() == []


def test_missing_form_schema_is_refused(engine: Engine) -> None:
    with pytest.raises(DeploymentError) as caught:
        engine.deploy({"appraisal.bpmn": BUNDLE["appraisal.bpmn"]}, "owner")
    assert caught.value.element_id == "Task_appraise"
    assert "appraisal_form.json" in caught.value.message


def test_user_task_without_role_is_refused_with_line(engine: Engine) -> None:
    body = """<bpmn:userTask id="Task_orphan" name="Nobody's"/>"""
    xml = _minimal(body=body).replace(
        b'targetRef="e"/>',
        b'targetRef="Task_orphan"/><bpmn:sequenceFlow id="f2" sourceRef="Task_orphan" targetRef="e"/>',
    )
    with pytest.raises(DeploymentError) as caught:
        engine.deploy({"p.bpmn": xml}, "owner")
    assert caught.value.element_id == "Task_orphan"
    assert caught.value.line == 9  # the line of <bpmn:userTask> in _minimal()
    assert "no role" in caught.value.message


def test_unknown_role_is_refused(database, directory) -> None:
    strict = Engine(database, directory=directory, role_known=lambda role: role in {"drafter"})
    with pytest.raises(DeploymentError) as caught:
        strict.deploy(
            {
                "appraisal.bpmn": BUNDLE["appraisal.bpmn"],
                "appraisal_form.json": BUNDLE["appraisal_form.json"],
            },
            "owner",
        )
    assert "'appraiser' is not a role" in caught.value.message


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ('<bpmn:dataStore id="Store_1" name="Registry"/>', None),
        (
            '<bpmn:textAnnotation id="Note_1"><bpmn:text>note</bpmn:text></bpmn:textAnnotation>',
            None,
        ),
        ('<bpmn:group id="Group_1"/>', None),
        (
            '<bpmn:dataObject id="Obj_1" name="Dossier"/><bpmn:dataObjectReference id="Ref_1" dataObjectRef="Obj_1"/>',
            None,
        ),
        ('<bpmn:dataStoreReference id="SRef_1" dataStoreRef="Nowhere"/>', None),
    ],
    ids=["data-store", "text-annotation", "group", "data-object", "dangling-store-ref"],
)
def test_documentation_elements_do_not_block_deployment(
    engine: Engine, element: str, expected: None
) -> None:
    infos = engine.deploy({"p.bpmn": _minimal(body=element)}, "owner")
    assert infos[0].created


def test_data_associations_and_manual_tasks_run_as_no_ops(engine: Engine) -> None:
    body = """
    <bpmn:dataObject id="Obj_1" name="Dossier"/>
    <bpmn:dataObjectReference id="Ref_1" dataObjectRef="Obj_1"/>
    <bpmn:dataStoreReference id="SRef_1" dataStoreRef="Store_1"/>
    <bpmn:manualTask id="Manual_1" name="Print and file">
      <bpmn:dataOutputAssociation id="DOA_1"><bpmn:targetRef>Ref_1</bpmn:targetRef></bpmn:dataOutputAssociation>
      <bpmn:dataInputAssociation id="DIA_1"><bpmn:sourceRef>SRef_1</bpmn:sourceRef></bpmn:dataInputAssociation>
    </bpmn:manualTask>"""
    xml = _minimal(body=body, extra='<bpmn:dataStore id="Store_1" name="Archive"/>').replace(
        b'targetRef="e"/>',
        b'targetRef="Manual_1"/><bpmn:sequenceFlow id="f2" sourceRef="Manual_1" targetRef="e"/>',
    )
    engine.deploy({"p.bpmn": xml}, "owner")
    info = engine.start("p", actor=engine.actor("an"))
    assert info.status == "completed"


@pytest.mark.parametrize(
    ("xml", "needle"),
    [
        (b"", "empty"),
        (b"<not-closed>", "well-formed"),
        (b'<?xml version="1.0"?><html/>', "BPMN 2.0 or DMN"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>',
            "DTD",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</bpmn:definitions>',
            "DTD",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://169.254.169.254/evil.dtd">'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>',
            "DTD",
        ),
        (b"<a>" + b"x" * (3 * 1024 * 1024) + b"</a>", "limit"),
    ],
    ids=["empty", "malformed", "not-bpmn", "billion-laughs", "xxe-file", "external-dtd", "too-big"],
)
def test_hostile_or_broken_xml_is_refused(engine: Engine, xml: bytes, needle: str) -> None:
    with pytest.raises(DeploymentError) as caught:
        engine.deploy({"evil.bpmn": xml}, "owner")
    assert needle in caught.value.message
    assert engine.definitions() == []


def test_unsupported_element_is_refused_with_a_reason(engine: Engine) -> None:
    body = '<bpmn:complexGateway id="Gateway_complex"/>'
    with pytest.raises(DeploymentError) as caught:
        engine.deploy({"p.bpmn": _minimal(body=body)}, "owner")
    assert caught.value.element_id == "Gateway_complex"
    assert "complex gateways" in caught.value.message


def test_unregistered_service_is_refused(engine: Engine) -> None:
    body = """<bpmn:serviceTask id="Service_1"><bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="send_fax" resultVariable="r"/>
    </bpmn:extensionElements></bpmn:serviceTask>"""
    xml = _minimal(body=body).replace(
        b'targetRef="e"/>',
        b'targetRef="Service_1"/><bpmn:sequenceFlow id="f2" sourceRef="Service_1" targetRef="e"/>',
    )
    with pytest.raises(DeploymentError) as caught:
        engine.deploy({"p.bpmn": xml}, "owner")
    assert caught.value.element_id == "Service_1"
    assert "send_fax" in caught.value.message


def test_invalid_timer_literal_is_refused(engine: Engine) -> None:
    body = """<bpmn:intermediateCatchEvent id="Wait_1"><bpmn:timerEventDefinition>
      <bpmn:timeDuration>"P10X"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"""
    xml = _minimal(body=body).replace(
        b'targetRef="e"/>',
        b'targetRef="Wait_1"/><bpmn:sequenceFlow id="f2" sourceRef="Wait_1" targetRef="e"/>',
    )
    with pytest.raises(DeploymentError) as caught:
        engine.deploy({"p.bpmn": xml}, "owner")
    assert caught.value.element_id == "Wait_1"
    assert "ISO 8601" in caught.value.message


def test_every_problem_is_reported_at_once(engine: Engine) -> None:
    body = """
    <bpmn:exclusiveGateway id="G1" default="f3"/>
    <bpmn:sequenceFlow id="f2" sourceRef="G1" targetRef="S1"><bpmn:conditionExpression>__import__("os")</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="G1" targetRef="e"/>
    <bpmn:scriptTask id="S1"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f4" sourceRef="S1" targetRef="e"/>"""
    xml = _minimal(body=body).replace(b'targetRef="e"/>\n', b'targetRef="G1"/>\n', 1)
    with pytest.raises(DeploymentError) as caught:
        engine.deploy({"p.bpmn": xml}, "owner")
    elements = {problem["element_id"] for problem in caught.value.details}
    assert {"f2", "S1"} <= elements  # a condition is reported on the flow that holds it


def test_dmn_is_deployed_and_used_by_a_business_rule_task(engine: Engine) -> None:
    dmn = read_model("procedure.dmn")
    bpmn = read_model("choose_procedure.bpmn")
    infos = {
        i.key: i
        for i in engine.deploy({"procedure.dmn": dmn, "choose_procedure.bpmn": bpmn}, "owner")
    }
    assert infos["Decision_procedure"].kind == "dmn"
    urgent = engine.start("choose_procedure", actor=engine.actor("an"), data={"ground": "disaster"})
    normal = engine.start("choose_procedure", actor=engine.actor("an"), data={"ground": "plan"})
    assert engine.instance_data(urgent.id)["procedure"] == "simplified"
    assert engine.instance_data(normal.id)["procedure"] == "normal"


def test_over_long_ids_and_file_names_are_refused(engine: Engine) -> None:
    long_id = "p" * 201
    with pytest.raises(DeploymentError, match="process id"):
        engine.deploy({"p.bpmn": _minimal(process_id=long_id)}, "owner")
    with pytest.raises(DeploymentError, match="file name"):
        engine.deploy({"x" * 301 + ".bpmn": _minimal()}, "owner")
    assert engine.definitions() == []
