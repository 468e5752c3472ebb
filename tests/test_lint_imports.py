"""Diagrams exported by other modelers: lint lists exactly what each lacks to run in Lexflow,
never crashes, and never faults what only documents a model (pools of partners, message
flows, data objects and stores, annotations, groups, manual tasks, vendor metadata)."""

from __future__ import annotations

import pytest

from tests.conftest import DATA
from workflows.lifecycle import Lifecycle

IMPORTS = DATA / "imports"
#: (rule, element) of every error lint must report for each export, and nothing else.
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "camunda7_invoice.bpmn": {
        ("lexflow/role-known", "Lane_assistant"),
        ("lexflow/role-known", "Lane_approver"),
        ("lexflow/role-known", "Task_assign_approver"),
        ("lexflow/role-known", "Task_approve"),
        ("lexflow/expression", "Flow_yes"),  # ${approved}: JUEL
        ("lexflow/expression", "Flow_no"),
        ("lexflow/service-operation", "Task_archive"),  # camunda:class
    },
    "zeebe_order.bpmn": {
        ("lexflow/role-known", "Task_check"),  # no lane: zeebe assigns by candidate group
        ("lexflow/expression", "Event_too_slow"),  # PT1H unquoted
        ("lexflow/expression", "Flow_large"),  # =amount > 1000: FEEL
        ("lexflow/service-operation", "Task_charge"),  # zeebe:taskDefinition
        ("lexflow/call-activity", "Call_shipping"),  # zeebe:calledElement only
    },
    "signavio_permit.bpmn": {
        ("lexflow/executable-process", "sid-pool-office"),
        ("lexflow/role-known", "sid-lane-clerk"),
        ("lexflow/role-known", "sid-lane-head"),
        ("lexflow/role-known", "sid-register"),
        ("lexflow/role-known", "sid-decide"),
        ("lexflow/gateway-condition", "sid-yes"),  # branches carry only their names
        ("lexflow/gateway-condition", "sid-no"),
    },
    "bpmnio_lexflow.bpmn": {
        ("lexflow/service-operation", "Activity_notify"),
        ("lexflow/event-trigger", "Activity_wait"),  # a receive task with no message
    },
}
DOCUMENTATION = {
    "Participant_supplier", "MessageFlow_invoice", "Group_approval", "DataStoreReference_erp",
    "TextAnnotation_1", "Association_1", "sid-pool-citizen", "sid-msgflow", "sid-dataobject",
    "sid-dataref", "sid-stamp", "DataStoreReference_1", "Group_1",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_lint_lists_what_an_export_lacks(lifecycle: Lifecycle, name: str) -> None:
    problems = lifecycle.engine.lint({name: (IMPORTS / name).read_bytes()})
    errors = {(p.rule, p.element_id) for p in problems if p.is_error}
    assert errors == EXPECTED[name]
    assert not {p.element_id for p in problems} & DOCUMENTATION
    assert all(p.line and p.filename == name for p in problems if p.element_id)
    assert lifecycle.engine.definitions() == []


def test_an_export_deploys_once_its_owner_fixed_what_lint_listed(lifecycle: Lifecycle) -> None:
    xml = (IMPORTS / "bpmnio_lexflow.bpmn").read_text()
    fixed = (
        xml.replace(
            '<bpmn:serviceTask id="Activity_notify" name="Tell the drafter">',
            '<bpmn:serviceTask id="Activity_notify" name="Tell the drafter"><bpmn:extensionElements>'
            '<spiffworkflow:serviceTaskOperator id="escalate"/></bpmn:extensionElements>',
        )
        .replace(
            '<bpmn:receiveTask id="Activity_wait" name="Wait for the comments">',
            '<bpmn:receiveTask id="Activity_wait" name="Wait for the comments" messageRef="M">',
        )
        .replace(
            '<bpmn:process id="quick_review"',
            '<bpmn:message id="M" name="comments_received"/><bpmn:process id="quick_review"',
        )
        .replace(
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"',
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"',
        )
    )
    assert [p for p in lifecycle.engine.lint({"q.bpmn": fixed}) if p.is_error] == []
    [info] = lifecycle.engine.deploy({"q.bpmn": fixed}, "owner", "imported from bpmn.io")
    assert (info.key, info.version, info.created) == ("quick_review", 1, True)
