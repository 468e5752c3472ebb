"""Stored instance state holds what still runs, not the history, and SpiffWorkflow cannot
tell: the same model run by plain SpiffWorkflow (nothing pruned) offers the same steps in the
same order and ends with the same data, through parallel branches answered one per step, a
boundary timer and rounds of rework."""

from __future__ import annotations

import json
import zlib
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import Engine, TaskQuery
from engine.models import ProcessInstance
from tests.conftest import DATA

ROUNDS = 4
#: Which step is answered next, and with what (the opinions arrive one per step, in an order
#: other than the model's, so the join merges branches saved in earlier transactions).
ORDER = ("Task_prepare", "Task_legal", "Task_home", "Task_finance", "Task_decide")


def _answer(element: str, round_no: int) -> dict[str, Any]:
    if element == "Task_decide":
        return {"again": round_no < ROUNDS, f"decided_{round_no}": True}
    return {element.removeprefix("Task_"): f"round {round_no}", f"{element}_{round_no}": 1}


def _raw_run() -> tuple[list[list[str]], dict[str, Any], int]:
    """Plain SpiffWorkflow, in memory, nothing pruned: the steps offered, the end data and
    how many tasks its tree holds at the end."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DATA / "pruning.bpmn"))
    workflow = BpmnWorkflow(parser.get_spec("pruning"))
    workflow.task_tree.data.update({"lead_agency": "SXD"})
    for child in workflow.task_tree.children:
        child.data.update({"lead_agency": "SXD"})
    workflow.do_engine_steps()
    offered, round_no = [], 1
    while not workflow.completed:
        ready = [
            t
            for t in workflow.get_tasks(state=TaskState.READY)
            if isinstance(t.task_spec, UserTask)
        ]
        offered.append(sorted(t.task_spec.name for t in ready))
        task = min(ready, key=lambda t: ORDER.index(t.task_spec.name))
        task.data.update(_answer(task.task_spec.name, round_no))
        if task.task_spec.name == "Task_decide":
            round_no += 1
        task.run()
        workflow.do_engine_steps()
    end = next(t for t in workflow.get_tasks() if t.task_spec.name == "End")
    return offered, dict(end.data), len(workflow.tasks)


def _stored_tasks(engine: Engine, instance_id: int, finished: bool = False) -> int:
    """Tasks in the stored tree (``finished``: only completed and cancelled ones, the
    history; the rest is what runs and what SpiffWorkflow predicts will)."""
    with engine.db.read() as session:
        blob = session.execute(
            select(ProcessInstance.state).where(ProcessInstance.id == instance_id)
        ).scalar_one()
    tasks = json.loads(zlib.decompress(blob))["tasks"].values()
    mask = TaskState.FINISHED_MASK if finished else ~0
    return sum(1 for task in tasks if task["state"] & mask)


def test_pruned_state_runs_exactly_like_plain_spiffworkflow(engine: Engine) -> None:
    engine.deploy({"pruning.bpmn": (DATA / "pruning.bpmn").read_bytes()}, "owner")
    an = engine.actor("an")
    instance = engine.start("pruning", actor=an, data={"lead_agency": "SXD"})
    offered, sizes, round_no = [], [], 1
    while True:
        open_tasks = engine.tasks(TaskQuery(instance_id=instance.id, states=("open", "claimed")))
        if not open_tasks:
            break
        offered.append(sorted(t.element_id for t in open_tasks))
        task = min(open_tasks, key=lambda t: ORDER.index(t.element_id))
        engine.complete(task.id, an, _answer(task.element_id, round_no))
        if task.element_id == "Task_decide":
            round_no += 1
        sizes.append(_stored_tasks(engine, instance.id))

    raw_offered, raw_data, raw_size = _raw_run()
    assert engine.instance(instance.id).status == "completed"
    assert offered == raw_offered
    assert len(offered) == 5 * ROUNDS
    data = engine.instance_data(instance.id)
    assert {k: v for k, v in data.items() if k in raw_data} == raw_data
    # Every round's answers reached the end (the join merged branches saved steps earlier).
    for n in range(1, ROUNDS + 1):
        assert data[f"Task_legal_{n}"] == data[f"Task_home_{n}"] == data[f"Task_finance_{n}"]
    # SpiffWorkflow keeps every task it ran; the stored tree keeps fewer (here, what a later
    # parallel join can still look at: each round's arrivals and their parents).
    assert sizes[-1] < raw_size * 0.7, (sizes, raw_size)
    # Steps done in pruned rounds still count as done for the diagram.
    elements = engine.completed_elements(instance.id)
    assert {"Task_prepare", "Task_legal", "Task_decide", "Join_opinions"} <= set(
        elements["completed"]
    )


def _chain(steps: int) -> bytes:
    tasks = "".join(
        f'<bpmn:userTask id="Task_{i}" name="Step {i}"/>'
        f'<bpmn:sequenceFlow id="Flow_{i}" sourceRef="Task_{i}" targetRef="Task_{i + 1}"/>'
        for i in range(1, steps)
    )
    refs = "".join(f"<bpmn:flowNodeRef>Task_{i}</bpmn:flowNodeRef>" for i in range(1, steps + 1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Defs_chain" targetNamespace="https://lexflow.test/chain">
  <bpmn:process id="chain" name="Chain" isExecutable="true">
    <bpmn:laneSet id="LaneSet_chain"><bpmn:lane id="Lane_drafter" name="Drafter">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="role" value="drafter"/>
        <spiffworkflow:property name="organisation" value="lead_agency"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:flowNodeRef>Start_c</bpmn:flowNodeRef>{refs}<bpmn:flowNodeRef>End_c</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="Start_c" name="Start"/>
    <bpmn:sequenceFlow id="Flow_0" sourceRef="Start_c" targetRef="Task_1"/>
    {tasks}<bpmn:userTask id="Task_{steps}" name="Step {steps}"/>
    <bpmn:sequenceFlow id="Flow_end" sourceRef="Task_{steps}" targetRef="End_c"/>
    <bpmn:endEvent id="End_c" name="End"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_a_chain_stores_no_history(engine: Engine) -> None:
    engine.deploy({"chain.bpmn": _chain(30)}, "owner")
    an = engine.actor("an")
    instance = engine.start("chain", actor=an, data={"lead_agency": "SXD"})
    sizes = []
    for step in range(1, 30):
        [task] = engine.tasks(TaskQuery(instance_id=instance.id, states=("open",)))
        assert task.element_id == f"Task_{step}"
        engine.complete(task.id, an, {f"answer_{step}": step})
        sizes.append(_stored_tasks(engine, instance.id, finished=True))
    assert max(sizes) <= 3, sizes  # the root, the start and the step just completed
    [last] = engine.tasks(TaskQuery(instance_id=instance.id, states=("open",)))
    data = engine.task_data(last.id)
    assert all(data[f"answer_{step}"] == step for step in range(1, 30))
    done = set(engine.completed_elements(instance.id)["completed"])
    assert {f"Task_{step}" for step in range(1, 30)} <= done
