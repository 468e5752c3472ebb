"""(a) raw SpiffWorkflow per step, (b) the Lexflow engine per step, (c) stored bytes.

Every variant runs the same generated model with the same start data and the same data per
step (``step_data``), always taking the "approve" flow, so one run completes every user task
once. A "step" is everything that happens between two user inputs:

* ``a``   restore the standard full JSON (spec included) with ``deserialize_json``, complete
          the next ready user task, ``do_engine_steps()``, ``serialize_json``;
* ``a'``  the same JSON written each step, but the spec inside it is not restored: the
          workflow is rebuilt around a spec parsed once and reused;
* ``a''`` the spec is neither written nor read (spec-less JSON in memory, spec reused): the
          floor for any "store the spec once" design, without a database;
* ``b``   ``Engine.complete(task_id, actor, data)``: one transaction that reads the rows,
          restores, completes, steps, saves, updates the inbox projection and the audit chain.
"""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import text

from engine import Actor, Database, Engine, RoleGrant, StaticDirectory, TaskQuery

from ._support import LANES, START_DATA, Model

PHASES = ("load", "run task", "engine steps", "dump")


def step_data(index: int) -> dict[str, Any]:
    """What the user submits at step ``index``: the decision plus one form field."""
    return {
        "decision": "approve",
        f"field_{index:02d}": f"Ý kiến bước {index}: đồng ý, chuyển bước tiếp theo.",
    }


# (a) raw SpiffWorkflow ---------------------------------------------------------------------------
class _ReusedSpecConverter(BpmnWorkflowConverter):
    """Workflow converter that takes the (already parsed) spec instead of restoring it.

    ``write_spec`` decides whether the spec is still written into the JSON (``a'``) or left
    out (``a''``). Registered in a registry built from SPIFF_CONFIG, replacing the standard
    BpmnWorkflow converter; everything else is SpiffWorkflow's own code.
    """

    spec: Any = None
    subprocess_specs: dict[str, Any] | None = None
    write_spec = True

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        if self.write_spec:
            return super().to_dict(workflow)
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        workflow = self.target_class(self.spec, self.subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


@dataclass
class RawVariant:
    name: str
    serializer: BpmnWorkflowSerializer
    spec: Any
    subprocess_specs: dict[str, Any]


def standard_serializer() -> BpmnWorkflowSerializer:
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def raw_variants(model: Model) -> list[RawVariant]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(model.xml.encode("utf-8"))
    spec = parser.get_spec(model.process_id)
    subs = parser.get_subprocess_specs(model.process_id)
    variants = [RawVariant("a", standard_serializer(), spec, subs)]
    for name, write_spec in (("a'", True), ("a''", False)):
        registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        converter = _ReusedSpecConverter(BpmnWorkflow, registry)
        converter.spec, converter.subprocess_specs, converter.write_spec = spec, subs, write_spec
        variants.append(RawVariant(name, BpmnWorkflowSerializer(registry), spec, subs))
    return variants


@dataclass
class RunTimes:
    steps: list[int] = field(default_factory=list)  # ns per step
    phases: dict[str, list[int]] = field(default_factory=lambda: {p: [] for p in PHASES})
    sizes: list[int] = field(default_factory=list)  # bytes of the state after each step


def run_raw(variant: RawVariant) -> RunTimes:
    """One full instance; the first state is made untimed, like ``Engine.start``."""
    ser = variant.serializer
    workflow = BpmnWorkflow(variant.spec, variant.subprocess_specs)
    for task in (workflow.task_tree, *workflow.task_tree.children):
        task.data.update(START_DATA)
    workflow.do_engine_steps()
    state = ser.serialize_json(workflow)
    times = RunTimes(sizes=[len(state)])
    index = 0
    clock = time.perf_counter_ns
    while True:
        t0 = clock()
        workflow = ser.deserialize_json(state)
        t1 = clock()
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        if task is None:
            break
        task.data.update(step_data(index))
        task.run()
        t2 = clock()
        workflow.do_engine_steps()
        t3 = clock()
        state = ser.serialize_json(workflow)
        t4 = clock()
        times.steps.append(t4 - t0)
        for phase, ns in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            times.phases[phase].append(ns)
        times.sizes.append(len(state))
        index += 1
    if not workflow.completed:
        raise RuntimeError(f"{variant.name}: the workflow did not complete")
    return times


# (b) the engine ----------------------------------------------------------------------------------
ORGANISATION = str(START_DATA["org"])


def actors() -> dict[str, Actor]:
    """One user per lane role, plus the starter."""
    people = {
        role: Actor(id=f"{role}_1", grants=frozenset({RoleGrant(role, ORGANISATION)}))
        for _, role, _ in LANES
    }
    people["starter"] = Actor(id="starter", grants=frozenset({RoleGrant("drafter", ORGANISATION)}))
    return people


@dataclass
class EngineVariant:
    name: str
    db: Database
    engine: Engine
    people: dict[str, Actor]
    definition_id: int


def engine_variant(name: str, db: Database, model: Model) -> EngineVariant:
    people = actors()
    engine = Engine(db, directory=StaticDirectory(people.values()))
    [definition] = engine.deploy({"bench_chain.bpmn": model.xml}, "bench")
    return EngineVariant(name, db, engine, people, definition.id)


def run_engine(
    variant: EngineVariant,
    observe: Callable[[int], None] | None = None,
    wrap: Callable[[Callable[[], Any]], Any] | None = None,
) -> RunTimes:
    """One full instance; only ``Engine.complete`` is timed (finding the task id is not).

    ``observe(instance_id)`` is called after the start and after every step (untimed);
    ``wrap`` runs each ``complete`` call (used to profile).
    """
    engine, people = variant.engine, variant.people
    info = engine.start(
        "bench_chain", actor=people["starter"], data=START_DATA, organisation=ORGANISATION
    )
    if observe:
        observe(info.id)
    times = RunTimes()
    index = 0
    clock = time.perf_counter_ns
    while True:
        ready = engine.tasks(TaskQuery(instance_id=info.id, states=("open",)))
        if not ready:
            break
        task = ready[0]
        actor = people[task.role or "drafter"]
        data = step_data(index)
        if wrap is None:
            t0 = clock()
            engine.complete(task.id, actor, data)
            times.steps.append(clock() - t0)
        else:
            t0 = clock()
            wrap(lambda task=task, actor=actor, data=data: engine.complete(task.id, actor, data))
            times.steps.append(clock() - t0)
        if observe:
            observe(info.id)
        index += 1
    final = engine.instance(info.id)
    if final.status != "completed":
        raise RuntimeError(f"{variant.name}: instance {info.id} is {final.status}")
    return times


# (c) stored bytes --------------------------------------------------------------------------------
@dataclass
class Sizes:
    lexflow_state: list[int] = field(default_factory=list)  # process_instance.state (zlib)
    lexflow_json: list[int] = field(default_factory=list)  # the same, decompressed
    spiff_full_json: list[int] = field(default_factory=list)  # standard serialize_json
    spiff_full_gzip: list[int] = field(default_factory=list)  # serialize_json(use_gzip=True)
    spec_blob: int = 0
    spec_in_full_json: int = 0


def measure_sizes(variant: EngineVariant) -> Sizes:
    """Run one instance and size every stored state three ways (same workflow each time)."""
    sizes = Sizes()
    standard = standard_serializer()
    engine = variant.engine

    def observe(instance_id: int) -> None:
        with variant.db.read() as session:
            opened = engine.instances_service.open(session, instance_id, require_running=False)
            blob = bytes(opened.row.state)
            workflow = opened.runtime.workflow
            sizes.lexflow_state.append(len(blob))
            sizes.lexflow_json.append(len(zlib.decompress(blob)))
            full = standard.serialize_json(workflow)
            sizes.spiff_full_json.append(len(full))
            sizes.spiff_full_gzip.append(len(gzip.compress(full.encode("utf-8"))))
            if not sizes.spec_in_full_json:
                spec = standard.to_dict(workflow.spec)
                sizes.spec_in_full_json = len(json.dumps(spec))

    run_engine(variant, observe=observe)
    with variant.db.read() as session:
        sizes.spec_blob = int(
            session.execute(
                text(
                    "SELECT length(b.body) FROM spec_blob b JOIN definition d "
                    "ON d.spec_sha256 = b.sha256 WHERE d.id = :id"
                ),
                {"id": variant.definition_id},
            ).scalar_one()
        )
    return sizes
