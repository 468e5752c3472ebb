"""Uploaded models cannot run code: every expression site is checked at deploy, data is inert."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import DeploymentError, Engine, ProcessError, TaskQuery

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
<bpmn:process id="hostile" isExecutable="true">
  <bpmn:laneSet><bpmn:lane id="L" name="drafter">{lane_props}<bpmn:flowNodeRef>X</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
  <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="X"/>
  {element}
  <bpmn:sequenceFlow id="f2" sourceRef="X" targetRef="e"/>
  <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
</bpmn:process>
</bpmn:definitions>"""


def _props(**props: str) -> str:
    items = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in props.items())
    return f"<bpmn:extensionElements><spiffworkflow:properties>{items}</spiffworkflow:properties></bpmn:extensionElements>"


def _esc(code: str) -> str:
    return code.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def sites(code: str) -> dict[str, str]:
    """The same hostile code placed at every place a model can hold an expression."""
    e = _esc(code)
    user = '<bpmn:userTask id="X">{}</bpmn:userTask>'
    return {
        "gateway-condition": f"""<bpmn:exclusiveGateway id="X" default="f2"/>
            <bpmn:sequenceFlow id="f3" sourceRef="X" targetRef="e"><bpmn:conditionExpression>{e}</bpmn:conditionExpression></bpmn:sequenceFlow>""",
        "script-task": f'<bpmn:scriptTask id="X"><bpmn:script>x = {e}</bpmn:script></bpmn:scriptTask>',
        "pre-script": user.format(
            f"<bpmn:extensionElements><spiffworkflow:preScript>x = {e}</spiffworkflow:preScript></bpmn:extensionElements>"
        ),
        "post-script": user.format(
            f"<bpmn:extensionElements><spiffworkflow:postScript>x = {e}</spiffworkflow:postScript></bpmn:extensionElements>"
        ),
        "timer": f"""<bpmn:intermediateCatchEvent id="X"><bpmn:timerEventDefinition>
            <bpmn:timeDuration>{e}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>""",
        "boundary-timer": f"""<bpmn:userTask id="X"/><bpmn:boundaryEvent id="B" attachedToRef="X">
            <bpmn:timerEventDefinition><bpmn:timeDate>{e}</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>""",
        "title-property": user.format(_props(title=e)),
        "due-property": user.format(_props(dueDate=e)),
        "multi-instance": f"""<bpmn:userTask id="X"><bpmn:multiInstanceLoopCharacteristics>
            <bpmn:loopCardinality>{e}</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>""",
        "mi-completion": f"""<bpmn:userTask id="X"><bpmn:multiInstanceLoopCharacteristics>
            <bpmn:loopCardinality>2</bpmn:loopCardinality><bpmn:completionCondition>{e}</bpmn:completionCondition>
            </bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>""",
        "loop-condition": f"""<bpmn:userTask id="X"><bpmn:standardLoopCharacteristics>
            <bpmn:loopCondition>{e}</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:userTask>""",
        "conditional-event": f"""<bpmn:intermediateCatchEvent id="X"><bpmn:conditionalEventDefinition>
            <bpmn:condition>{e}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>""",
    }


def _deploy_site(engine: Engine, element: str, lane_props: str = "") -> None:
    xml = HEAD.format(element=element, lane_props=lane_props)
    engine.deploy({"hostile.bpmn": xml.encode()}, "mallory")


ATTACKS = {
    "import-os": "__import__('os').system('touch {marker}')",
    "subclasses": "().__class__.__bases__[0].__subclasses__()",
    "open-file": "open('{marker}', 'w').write('x')",
    "eval": "eval(\"__import__('os').system('touch {marker}')\")",
    "format-escape": "'{{0.__class__}}'.format(1)",
    "frame-escape": "[(i for i in []).gi_frame.f_globals]",
    "lambda": "(lambda: 1)()",
    "getattr": "getattr(1, '__class__')",
}


@pytest.mark.parametrize("site", list(sites("1")), ids=list(sites("1")))
@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_hostile_expressions_are_refused_at_deploy(
    engine: Engine, tmp_path: Path, site: str, attack: str
) -> None:
    marker = tmp_path / "PWNED"
    code = ATTACKS[attack].format(marker=marker)
    with pytest.raises(DeploymentError) as caught:
        _deploy_site(engine, sites(code)[site])
    assert caught.value.element_id in ("X", "B", "f3")  # f3: the flow holding the condition
    assert not marker.exists()
    assert engine.definitions() == []


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_hostile_lane_organisation_is_refused(engine: Engine, tmp_path: Path, attack: str) -> None:
    marker = tmp_path / "PWNED"
    code = _esc(ATTACKS[attack].format(marker=marker))
    with pytest.raises(DeploymentError) as caught:
        _deploy_site(engine, '<bpmn:userTask id="X"/>', lane_props=_props(organisation=code))
    assert caught.value.element_id == "X"
    assert not marker.exists()


def test_hostile_dmn_entries_are_refused(engine: Engine, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    dmn = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="D" name="D" namespace="t">
  <decision id="Decision_evil" name="Evil"><decisionTable id="T" hitPolicy="FIRST">
    <input id="I" label="x"><inputExpression id="IE" typeRef="string"><text>x</text></inputExpression></input>
    <output id="O" name="y" typeRef="string"/>
    <rule id="R"><inputEntry id="RI"><text>-</text></inputEntry>
      <outputEntry id="RO"><text>__import__('os').system('touch {marker}')</text></outputEntry></rule>
  </decisionTable></decision>
</definitions>"""
    element = """<bpmn:businessRuleTask id="X"><bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>Decision_evil</spiffworkflow:calledDecisionId>
        </bpmn:extensionElements></bpmn:businessRuleTask>"""
    xml = HEAD.format(element=element, lane_props="")
    with pytest.raises(DeploymentError) as caught:
        engine.deploy({"evil.dmn": dmn.encode(), "hostile.bpmn": xml.encode()}, "mallory")
    assert caught.value.element_id == "X"
    assert not marker.exists()


def test_code_in_process_data_is_only_data(engine: Engine, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    element = (
        '<bpmn:userTask id="X">'
        + _props(title="&quot;Draft: &quot; + subject")
        + "</bpmn:userTask>"
    )
    _deploy_site(engine, element)
    payload = f"__import__('os').system('touch {marker}')"
    instance = engine.start("hostile", actor=engine.actor("an"), data={"subject": payload})
    task = engine.tasks(TaskQuery(instance_id=instance.id))[0]
    assert task.title == f"Draft: {payload}"
    engine.complete(task.id, engine.actor("an"), {"note": "{{7*7}} ${7*7} " + payload})
    assert engine.instance_data(instance.id)["note"].startswith("{{7*7}}")
    assert not marker.exists()


def test_runaway_expressions_stop_and_roll_back(engine: Engine) -> None:
    element = """<bpmn:exclusiveGateway id="X" default="f2"/>
        <bpmn:sequenceFlow id="f3" sourceRef="X" targetRef="e"><bpmn:conditionExpression>len([a * b for a in range(n) for b in range(n)]) &gt; 0</bpmn:conditionExpression></bpmn:sequenceFlow>"""
    _deploy_site(engine, element)  # statically fine: the size depends on the data
    with pytest.raises(ProcessError) as caught:
        engine.start("hostile", actor=engine.actor("an"), data={"n": 100_000})
    assert caught.value.element_id == "X"
    assert engine.instances() == []
    assert engine.start("hostile", actor=engine.actor("an"), data={"n": 3}).status == "completed"
