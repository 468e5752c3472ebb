"""Race: 16 clients at once against a real server, on SQLite and PostgreSQL.

Each client has its own connection and bearer token, and all of them wait at a barrier so
their requests land together. For every task: exactly one client wins the claim (or the
completion), every other gets 409 with a sentence saying why, nobody gets a 500. Then 16
drafts registered at once get 16 distinct codes, and 16 uploads to one dossier item get
versions 1..16 (or a clear 409), never a 500.

Run with ``make proof`` (or ``pytest tests/proof/test_race.py``); ``LEXFLOW_RACE_TASKS``
sets how many tasks are fought over in each round (default 6).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.proof.live import Caller, add_drafters, served, token

pytestmark = pytest.mark.proof

CLIENTS = 16
TASKS = int(os.environ.get("LEXFLOW_RACE_TASKS", "6"))
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
<bpmn:process id="race_step" name="Race step" isExecutable="true">
  <bpmn:laneSet><bpmn:lane id="Lane_drafter" name="Drafter">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="role" value="drafter"/>
      <spiffworkflow:property name="organisation" value="lead_agency"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:flowNodeRef>S</bpmn:flowNodeRef><bpmn:flowNodeRef>T</bpmn:flowNodeRef>
    <bpmn:flowNodeRef>E</bpmn:flowNodeRef>
  </bpmn:lane></bpmn:laneSet>
  <bpmn:startEvent id="S"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="T"/>
  <bpmn:userTask id="T" name="Take it"><bpmn:incoming>f1</bpmn:incoming>
    <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:sequenceFlow id="f2" sourceRef="T" targetRef="E"/>
  <bpmn:endEvent id="E"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
</bpmn:process>
</bpmn:definitions>"""


def _together(callers: list[Caller], send: Callable[[Caller], requests.Response]) -> list[Any]:
    """Every caller sends at the same moment; returns (status, JSON body) per caller."""
    barrier = threading.Barrier(len(callers))

    def one(caller: Caller) -> tuple[int, Any]:
        barrier.wait(timeout=60)
        response = send(caller)
        try:
            body = response.json()
        except ValueError:
            body = response.text[:300]
        return response.status_code, body

    with ThreadPoolExecutor(len(callers)) as pool:
        return list(pool.map(one, callers))


def _one_winner(results: list[tuple[int, Any]], what: str) -> None:
    statuses = Counter(status for status, _ in results)
    assert statuses == Counter({200: 1, 409: CLIENTS - 1}), (what, statuses, results)
    for status, body in results:
        if status == 409:
            assert isinstance(body, dict) and body.get("message"), (what, body)


@pytest.fixture
def racers(lifecycle: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LEXFLOW_UPLOAD_DIR", str(tmp_path / "uploads"))
    names = add_drafters(lifecycle, CLIENTS)
    lifecycle.engine.deploy({"race_step.bpmn": MODEL}, "owner")
    with served(lifecycle) as server:
        callers = [Caller(server.url, token(lifecycle, name)) for name in names]
        yield server, callers
        for caller in callers:
            caller.session.close()


def _start_tasks(lifecycle: Any, count: int) -> list[str]:
    engine = lifecycle.engine
    starter = engine.actor("cv.sxd")
    ids = []
    for _ in range(count):
        instance = engine.start("race_step", actor=starter, data={"lead_agency": "SXD"})
        [task] = [t for t in engine.tasks() if t.instance_id == instance.id]
        ids.append(task.id)
    return ids


def test_sixteen_clients_claim_and_complete_the_same_tasks(lifecycle: Any, racers: Any) -> None:
    _server, callers = racers
    started = time.perf_counter()
    sent = 0
    # Round 1: everyone claims the same open task; round 2: the winner's rivals try to
    # release it while the winner completes it; round 3: everyone completes an unclaimed one.
    for task_id in _start_tasks(lifecycle, TASKS):
        claims = _together(
            callers, lambda c, t=task_id: c.request("POST", f"/api/v1/tasks/{t}/claim")
        )
        sent += CLIENTS
        _one_winner(claims, f"claim {task_id}")
        winner = next(c for c, (status, _) in zip(callers, claims, strict=True) if status == 200)
        done = winner.request("POST", f"/api/v1/tasks/{task_id}/complete", json={"data": {}})
        sent += 1
        assert done.status_code == 200, done.text
    for task_id in _start_tasks(lifecycle, TASKS):
        completions = _together(
            callers,
            lambda c, t=task_id: c.request(
                "POST", f"/api/v1/tasks/{t}/complete", json={"data": {}}
            ),
        )
        sent += CLIENTS
        _one_winner(completions, f"complete {task_id}")
    engine = lifecycle.engine
    for instance in engine.instances(key="race_step"):
        assert instance.status == "completed", instance
        assert engine.verify_audit(instance.id).ok
        completes = [e for e in engine.audit_events(instance.id) if e.action == "complete"]
        assert len(completes) == 1, completes  # applied once, whoever won
    print(f"\nrace claim/complete: {sent} requests, {time.perf_counter() - started:.1f} s")


def test_sixteen_drafts_and_uploads_at_once_get_distinct_numbers(
    lifecycle: Any, racers: Any
) -> None:
    _server, callers = racers
    started = time.perf_counter()
    body = {"title": "Quy định phí tham quan", "document_type": "qd_ubnd_tinh",
            "lead_agency": "SXD"}  # fmt: skip
    created = _together(callers, lambda c: c.request("POST", "/api/v1/drafts", json=body))
    statuses = Counter(status for status, _ in created)
    assert set(statuses) <= {201, 409} and statuses[201] >= 1, [r for r in created if r[0] != 201]
    assert all(isinstance(b, dict) and b.get("message") for s, b in created if s == 409)
    codes = [b["code"] for s, b in created if s == 201]
    assert len(set(codes)) == len(codes), codes
    draft_id = next(b["id"] for s, b in created if s == 201)
    owner = next(
        c for c, (s, b) in zip(callers, created, strict=True) if s == 201 and b["id"] == draft_id
    )
    uploaders = [Caller(owner.base, owner.secret) for _ in range(CLIENTS)]

    numbers = itertools.count(1)

    def upload(caller: Caller) -> requests.Response:
        n = next(numbers)  # distinct bytes: each upload is a new version, not a duplicate
        files = {"file": (f"v{n}.pdf", PDF + b"%" * n, "application/pdf")}
        return caller.request(
            "POST", f"/api/v1/drafts/{draft_id}/documents", data={"item": "du_thao"}, files=files
        )

    uploaded = _together(uploaders, upload)
    statuses = Counter(status for status, _ in uploaded)
    assert set(statuses) <= {201, 409} and statuses[201] >= 1, uploaded
    versions = sorted(b["version"] for s, b in uploaded if s == 201)
    assert versions == list(range(1, len(versions) + 1)), versions
    listed = owner.request("GET", f"/api/v1/drafts/{draft_id}/documents").json()
    assert sorted(v["version"] for v in listed if v["item"] == "du_thao") == versions
    print(
        f"\nrace creations: {2 * CLIENTS} requests ({statuses[201]} uploads stored, "
        f"{Counter(s for s, _ in created)[201]} drafts), {time.perf_counter() - started:.1f} s"
    )
