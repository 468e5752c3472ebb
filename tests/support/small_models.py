"""Small BPMN processes built from one template, for the lint and stage-deploy tests: a start,
one step ``T`` in a lane, an end, and whatever a test adds."""

from __future__ import annotations

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
{extra}
<bpmn:process id="{pid}" isExecutable="{executable}">
  <bpmn:laneSet><bpmn:lane id="Lane_1" name="{role}"><bpmn:flowNodeRef>T</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
  <bpmn:startEvent id="S"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="T"/>
  {task}
  <bpmn:sequenceFlow id="f2" sourceRef="T" targetRef="E"/>
  <bpmn:endEvent id="E"/>
  {body}
</bpmn:process>
</bpmn:definitions>"""
USER_TASK = '<bpmn:userTask id="T" name="Do it"/>'


def model(
    *,
    task: str = USER_TASK,
    body: str = "",
    extra: str = "",
    pid: str = "p",
    role: str = "drafter",
    executable: str = "true",
) -> bytes:
    return HEAD.format(
        task=task, body=body, extra=extra, pid=pid, role=role, executable=executable
    ).encode()


def call(pid: str, called: str) -> bytes:
    """Process ``pid`` whose one step (``Call_<called>``) calls the process ``called``."""
    task = f'<bpmn:callActivity id="Call_{called}" calledElement="{called}"/>'
    return (
        model(pid=pid, task=task)
        .replace(b'targetRef="T"', f'targetRef="Call_{called}"'.encode())
        .replace(b'sourceRef="T"', f'sourceRef="Call_{called}"'.encode())
    )
