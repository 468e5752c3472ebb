"""The lifecycle models in bpmn/: structure, contract with the domain, and behaviour.

Structural tests read the XML and the form schemas directly. Behaviour tests deploy every
file of bpmn/ through the engine, with the real deadline functions and the fictional province
of :mod:`workflows.demo_province` as the directory of users. Services are replaced by
``recording_services``: each records its call and returns ``{}``. Nothing here says anything
about the real services in ``workflows/`` (they are tested where they live).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from engine import (
    Actor,
    Database,
    Engine,
    Forbidden,
    InvalidData,
    RoleGrant,
    ServiceRegistry,
    StaticDirectory,
    TaskQuery,
    clock,
)
from engine.definitions import MAX_FILES
from engine.task_queries import TaskInfo
from tests.support.databases import DatabaseFactory
from workflows.calendar import VIETNAM_TZ, WorkingCalendar
from workflows.deadlines import ANY, DEFAULT_RULES, PROCEDURES, deadline_functions
from workflows.demo_province import (
    CHAIR_MANDATORY_CONSULTED,
    ORGANISATIONS,
    ORGANISATIONS_BY_CODE,
    PROCESS_ORGS,
    USERS,
    process_orgs,
)
from workflows.organisation_names import organisation_name_functions
from workflows.roles import LANE_ROLES, ROLE_CODES, STAGE_CODES
from workflows.service_names import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[1]
BPMN_DIR = ROOT / "bpmn"
FORMS_DIR = BPMN_DIR / "forms"
DATA = Path(__file__).parent / "data"

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {
    "bpmn": BPMN,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
TOP_LEVEL = ("nq_hdnd_tinh", "qd_ubnd_tinh", "qd_ct_ubnd_tinh", "nq_hdnd_xa", "qd_ubnd_xa")
STAGES = (
    "stage_drafting",
    "stage_consultation",
    "stage_appraisal",
    "stage_ubnd_review",
    "stage_examination",
    "stage_adoption",
    "stage_publication",
)
PROCESSES = (*TOP_LEVEL, *STAGES, "regulation_monitoring")
DOSSIER_ITEMS = frozenset(
    [
        "to_trinh",
        "du_thao",
        "bao_cao_tong_ket",
        "bao_cao_danh_gia_tac_dong",
        "tong_hop_y_kien",
        "phan_bien_mttq",
        "de_nghi_tham_dinh",
        "bao_cao_tham_dinh",
        "bao_cao_tiep_thu_tham_dinh",
        "bao_cao_tham_tra",
        "bao_cao_tiep_thu_tham_tra",
        "van_ban_ky",
        "de_nghi_rut_gon",
        "bao_cao_kiem_tra",
        "danh_muc_ra_soat",
        "ke_hoach_trien_khai",
    ]
)
STEPS = frozenset(rule.step for rule in DEFAULT_RULES)
FLOW_NODES = frozenset(
    [
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "serviceTask",
        "scriptTask",
        "businessRuleTask",
        "manualTask",
        "sendTask",
        "receiveTask",
        "callActivity",
        "subProcess",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
    ]
)
DEADLINE = re.compile(r'^deadline\("([a-z_]+)"\)$')
SIMPLIFIED_GROUNDS = (
    "emergency",
    "defence",
    "disaster",
    "epidemic",
    "urgent_practical_issue",
    "suspension",
    "superior_document_alignment",
    "treaty_alignment",
    "validity_adjustment",
    "simplified_detailing",
)
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 in Vietnam


# --- reading the models ----------------------------------------------------------------------


def model_files() -> dict[str, bytes]:
    """Every file a deployment of the lifecycle models uploads (one engine.deploy call)."""
    paths = sorted(BPMN_DIR.glob("*.bpmn")) + sorted(BPMN_DIR.glob("*.dmn"))
    paths += sorted(FORMS_DIR.glob("*.json"))
    return {path.name: path.read_bytes() for path in paths}


def parse(pid: str) -> etree._Element:
    return etree.parse(str(BPMN_DIR / f"{pid}.bpmn")).getroot()


def process_of(root: etree._Element) -> etree._Element:
    (process,) = root.findall("bpmn:process", NS)
    return process


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def props(element: etree._Element) -> dict[str, str]:
    path = "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
    return {p.get("name"): p.get("value") for p in element.findall(path, NS)}


def flow_nodes(process: etree._Element) -> list[etree._Element]:
    return [e for e in process if isinstance(e.tag, str) and local(e) in FLOW_NODES]


def user_tasks(process: etree._Element) -> list[etree._Element]:
    return process.findall("bpmn:userTask", NS)


def lane_of(process: etree._Element, element_id: str) -> etree._Element:
    for lane in process.iter(f"{{{BPMN}}}lane"):
        if element_id in [ref.text for ref in lane.findall("bpmn:flowNodeRef", NS)]:
            return lane
    raise AssertionError(f"{element_id} is in no lane")


def called(pid: str) -> set[str]:
    """Processes called by ``pid``, transitively."""
    found: set[str] = set()
    todo = [pid]
    while todo:
        for call in process_of(parse(todo.pop())).findall("bpmn:callActivity", NS):
            target = call.get("calledElement")
            if target not in found:
                found.add(target)
                todo.append(target)
    return found


def form(name: str) -> dict[str, Any]:
    return json.loads((FORMS_DIR / name).read_text("utf-8"))


# --- structure ---------------------------------------------------------------------------------


def test_the_model_set_is_complete_and_fits_one_deployment() -> None:
    assert {p.stem for p in BPMN_DIR.glob("*.bpmn")} == set(PROCESSES)
    assert (BPMN_DIR / "procedure.dmn").exists()
    assert len(model_files()) <= MAX_FILES
    for pid in PROCESSES:
        assert process_of(parse(pid)).get("id") == pid


@pytest.mark.parametrize("pid", PROCESSES)
def test_every_element_has_diagram_layout(pid: str) -> None:
    root = parse(pid)
    process = process_of(root)
    (collaboration,) = root.findall("bpmn:collaboration", NS)
    (participant,) = collaboration.findall("bpmn:participant", NS)
    assert participant.get("processRef") == pid
    (plane,) = root.findall("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == collaboration.get("id")  # what bpmn-js draws
    shapes = {s.get("bpmnElement"): s for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", NS)}

    def bounds(element_id: str) -> tuple[float, ...]:
        assert element_id in shapes, f"{pid}: no shape for {element_id}"
        box = shapes[element_id].find("dc:Bounds", NS)
        values = tuple(float(box.get(k)) for k in ("x", "y", "width", "height"))
        assert values[2] > 0 and values[3] > 0
        return values

    pool = bounds(participant.get("id"))
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    assert lanes
    in_lanes: list[str] = []
    for lane in lanes:
        x, y, w, h = bounds(lane.get("id"))
        assert pool[0] <= x and x + w <= pool[0] + pool[2] + 1
        assert shapes[lane.get("id")].get("isHorizontal") == "true"
        in_lanes += [ref.text for ref in lane.findall("bpmn:flowNodeRef", NS)]
    nodes = flow_nodes(process)
    assert sorted(in_lanes) == sorted(n.get("id") for n in nodes)  # each node in one lane
    for node in nodes:
        x, y, w, h = bounds(node.get("id"))
        assert pool[0] <= x and x + w <= pool[0] + pool[2]
        assert pool[1] <= y and y + h <= pool[1] + pool[3]
    for flow in process.findall("bpmn:sequenceFlow", NS):
        assert flow.get("id") in edges, f"{pid}: no edge for {flow.get('id')}"
        points = edges[flow.get("id")].findall("di:waypoint", NS)
        assert len(points) >= 2


@pytest.mark.parametrize("pid", PROCESSES)
def test_user_tasks_follow_the_contract(pid: str) -> None:
    process = process_of(parse(pid))
    ids = {task.get("id") for task in user_tasks(process)}
    for task in user_tasks(process):
        where = f"{pid}/{task.get('id')}"
        assert task.get("id").startswith("Task_"), where
        documentation = task.findtext("bpmn:documentation", namespaces=NS) or ""
        assert len(documentation.strip()) > 20, where
        p = props(task)
        assert p["stage"] in STAGE_CODES, where
        assert "+ title" in p["title"], where  # names the draft (the reply also its agency)
        assert p["legalBasis"].strip(), where
        assert (FORMS_DIR / p["formJsonSchemaFilename"]).exists(), where
        lane = props(lane_of(process, task.get("id")))
        assert lane["role"] in LANE_ROLES, where
        assert lane["organisation"].strip(), where
        if "requiredDocuments" in p:
            assert set(p["requiredDocuments"].split(",")) <= DOSSIER_ITEMS, where
        if "decisions" in p:
            decision = form(p["formJsonSchemaFilename"])["properties"]["decision"]
            assert p["decisions"].split(",") == decision["enum"], where
        for other in filter(None, p.get("separateFrom", "").split(",")):
            assert other in ids, where
        if "dueDate" in p:
            match = DEADLINE.match(p["dueDate"])
            assert match and match.group(1) in STEPS, where


@pytest.mark.parametrize("pid", PROCESSES)
def test_every_deadline_step_is_in_the_rule_table(pid: str) -> None:
    text = (BPMN_DIR / f"{pid}.bpmn").read_text("utf-8").replace("&quot;", '"')
    steps = set(re.findall(r'deadline\("([a-z_]+)"\)', text))
    assert steps <= STEPS, steps - STEPS
    for timer in process_of(parse(pid)).iter(f"{{{BPMN}}}timerEventDefinition"):
        (expression,) = [child.text for child in timer if isinstance(child.tag, str)]
        assert expression and expression.strip()


def _successors(process: etree._Element, element_id: str) -> list[etree._Element]:
    targets = [
        f.get("targetRef")
        for f in process.findall("bpmn:sequenceFlow", NS)
        if f.get("sourceRef") == element_id
    ]
    return [e for e in flow_nodes(process) if e.get("id") in targets]


@pytest.mark.parametrize("pid", PROCESSES)
def test_statutory_deadlines_escalate_and_never_silently_expire(pid: str) -> None:
    process = process_of(parse(pid))
    for task in user_tasks(process):
        due = props(task).get("dueDate")
        if not due or "deadline(" not in due:
            continue
        step = DEADLINE.match(due).group(1)
        boundaries = [
            b
            for b in process.findall("bpmn:boundaryEvent", NS)
            if b.get("attachedToRef") == task.get("id")
            and b.findtext("bpmn:timerEventDefinition/bpmn:timeDate", namespaces=NS) == due
        ]
        assert len(boundaries) == 1, f"{pid}/{task.get('id')}: no deadline timer"
        assert boundaries[0].get("cancelActivity") == "false"
        escalations = []
        todo, seen = [boundaries[0]], set()
        while todo:
            node = todo.pop()
            if node.get("id") in seen:
                continue
            seen.add(node.get("id"))
            operator = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
            if operator is not None and operator.get("id") == "escalate":
                escalations.append(operator)
            todo += _successors(process, node.get("id"))
        assert escalations, f"{pid}/{task.get('id')}: the deadline timer does not escalate"
        (param,) = escalations[0].findall(".//spiffworkflow:parameter", NS)
        assert (param.get("id"), param.get("value")) == ("step", f'"{step}"')


@pytest.mark.parametrize("pid", PROCESSES)
def test_services_calls_and_reserved_ids(pid: str) -> None:
    process = process_of(parse(pid))
    expected_params = {
        "escalate": {"step"},
        "record_impact": {"impact"},
        "create_follow_up_draft": {"kind"},
        "close_draft": {"outcome"},
    }
    for operator in process.findall(".//spiffworkflow:serviceTaskOperator", NS):
        name = operator.get("id")
        assert name in SERVICE_NAMES
        params = {
            p.get("id"): p.get("value") for p in operator.findall(".//spiffworkflow:parameter", NS)
        }
        assert set(params) == expected_params.get(name, set())
        if name == "escalate":
            assert params["step"].strip('"') in STEPS
        if name == "close_draft":
            assert params["outcome"] in ('"dropped"', '"done"')
    for call in process.findall("bpmn:callActivity", NS):
        assert call.get("calledElement") in STAGES
    for element in process.iter():
        assert element.get("id") not in {"Start", "End", "Root", f"{pid}.EndJoin"}


def test_user_task_ids_are_unique_in_every_call_tree() -> None:
    """The engine finds a step's form and four-eyes history by element id, per instance."""
    for pid in (*TOP_LEVEL, "regulation_monitoring"):
        ids: list[str] = []
        for name in (pid, *called(pid)):
            ids += [task.get("id") for task in user_tasks(process_of(parse(name)))]
        assert len(ids) == len(set(ids)), pid


def test_resolutions_and_decisions_call_the_right_stages() -> None:
    assert called("nq_hdnd_tinh") == set(STAGES) == called("nq_hdnd_xa")
    decisions = set(STAGES) - {"stage_examination", "stage_adoption"}
    assert called("qd_ubnd_tinh") == decisions == called("qd_ubnd_xa")
    assert called("qd_ct_ubnd_tinh") == decisions - {"stage_ubnd_review"}
    for pid in TOP_LEVEL:
        rule = process_of(parse(pid)).find("bpmn:businessRuleTask", NS)
        assert rule.findtext(".//spiffworkflow:calledDecisionId", namespaces=NS) == (
            "Decision_procedure"
        )


@pytest.mark.parametrize("name", sorted(p.name for p in FORMS_DIR.glob("*.json")))
def test_form_schemas(name: str) -> None:
    schema = form(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["title"].strip() and schema["properties"]
    for key, prop in schema["properties"].items():
        assert key.isidentifier() and not key.startswith("_")
        assert prop["title"].strip(), f"{name}: {key} has no title"
    assert set(schema["required"]) <= set(schema["properties"])
    used = {
        props(task).get("formJsonSchemaFilename")
        for pid in PROCESSES
        for task in user_tasks(process_of(parse(pid)))
    }
    assert name in used, f"{name} is used by no model"


def test_reason_is_required_when_returning() -> None:
    validator = jsonschema.Draft202012Validator(form("approval.json"))
    assert validator.is_valid({"decision": "approve"})
    assert not validator.is_valid({"decision": "return"})
    assert not validator.is_valid({"decision": "return", "reason": "no"})
    assert validator.is_valid({"decision": "return", "reason": "Thiếu báo cáo tác động"})
    assert not validator.is_valid({"decision": "maybe"})


# --- the fictional province ----------------------------------------------------------------------


def test_demo_province_is_consistent() -> None:
    codes = [org.code for org in ORGANISATIONS]
    assert len(codes) == len(set(codes))
    for org in ORGANISATIONS:
        assert org.parent_code is None or org.parent_code in ORGANISATIONS_BY_CODE
    names = [user.username for user in USERS]
    assert len(names) == len(set(names))
    assert {"admin", "process_owner"} <= set(names)
    for user in USERS:
        for role, org in user.grants:
            assert role in ROLE_CODES
            assert org is None or org in ORGANISATIONS_BY_CODE
    assert sorted(
        PROCESS_ORGS[("qd_ct_ubnd_tinh", None)]["mandatory_consulted_agencies"]
    ) == sorted(CHAIR_MANDATORY_CONSULTED)
    assert set(CHAIR_MANDATORY_CONSULTED) == {"STC", "SNV", "STP", "SKHCN"}
    with pytest.raises(ValueError):
        process_orgs("nq_hdnd_xa")


def _lane_variables(document_type: str, commune: str | None) -> Iterator[dict[str, Any]]:
    orgs = process_orgs(document_type, commune)
    if commune is None:
        leads = ["SXD", "STC", "SNV", "STP", "SKHCN", "SNNMT", "SYT", "SGDDT"]
    else:
        leads = [f"VP_{commune}", f"PKT_{commune}"]
    for committee in orgs["hdnd_committees"]:
        for lead in leads:
            yield {**orgs, "lead_agency": lead, "agency": lead, "examining_committee": committee}


@pytest.mark.parametrize("kind, commune", sorted(PROCESS_ORGS, key=str))
def test_every_lane_of_every_document_type_has_someone_to_do_it(
    kind: str, commune: str | None
) -> None:
    holders = {(role, org) for user in USERS for role, org in user.grants}
    unused = "ubnd_chair" if kind.startswith("nq_") else "hdnd_chair"  # publication stage
    for pid in (kind, *called(kind), "regulation_monitoring"):
        for lane in process_of(parse(pid)).iter(f"{{{BPMN}}}lane"):
            p = props(lane)
            if p["role"] == unused and pid == "stage_publication":
                continue
            for variables in _lane_variables(kind, commune):
                org = variables[p["organisation"]]
                assert (p["role"], org) in holders, (pid, lane.get("id"), org)


# --- behaviour through the engine --------------------------------------------------------------


@dataclass
class Recorded:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def of(self, name: str) -> list[dict[str, Any]]:
        return [params for called_name, params in self.calls if called_name == name]


def recording_services(recorded: Recorded) -> ServiceRegistry:
    """A stand-in for every service the models may call: records the call, returns {}."""
    registry = ServiceRegistry()
    for name in SERVICE_NAMES:

        def record(call: Any, _name: str = name, **params: Any) -> dict[str, Any]:
            recorded.calls.append((_name, params))
            return {}

        registry.register(name, record)
    return registry


def demo_directory() -> StaticDirectory:
    return StaticDirectory(
        Actor(
            id=user.username,
            grants=frozenset(RoleGrant(role, org) for role, org in user.grants),
            is_admin=user.username == "admin",
            display_name=user.full_name,
        )
        for user in USERS
    )


def rules_snapshot(document_type: str) -> dict[str, dict[str, Any]]:
    """What workflows.deadlines.rules_snapshot gives for DEFAULT_RULES, without a database."""
    snapshot: dict[str, dict[str, Any]] = {procedure: {} for procedure in PROCEDURES}
    ranks: dict[tuple[str, str], int] = {}
    for rule in DEFAULT_RULES:
        if rule.document_type not in (ANY, document_type):
            continue
        rank = (rule.document_type != ANY) * 2 + (rule.procedure != ANY)
        for procedure in PROCEDURES if rule.procedure == ANY else (rule.procedure,):
            if ranks.get((procedure, rule.step), -1) < rank:
                ranks[(procedure, rule.step)] = rank
                snapshot[procedure][rule.step] = {
                    "amount": rule.amount,
                    "unit": rule.unit,
                    "basis": rule.legal_basis,
                    "confirmed": rule.confirmed,
                }
    return snapshot


def draft_data(
    document_type: str = "nq_hdnd_tinh", commune: str | None = None, **extra: Any
) -> dict[str, Any]:
    orgs = process_orgs(document_type, commune)
    data = {
        "draft_id": 12,
        "draft_code": "DT-2026-012",
        "title": "Quy định mức thu phí tham quan",
        "document_type": document_type,
        "ground": "none",
        "lead_agency": "SXD" if commune is None else f"PKT_{commune}",
        "consulted_agencies": orgs["mandatory_consulted_agencies"]
        or (["STC", "SNV"] if commune is None else [f"VP_{commune}"]),
        "deadline_rules": rules_snapshot(document_type),
        **{key: value for key, value in orgs.items() if key != "mandatory_consulted_agencies"},
    }
    data.update(extra)
    return data


ORG_NAMES = {org.code: (org.name_vi, org.name_en) for org in ORGANISATIONS}


class Run:
    """An engine with every model deployed, a moving clock and helpers to work tasks."""

    def __init__(self, database: Database, *, deployed: bool = False) -> None:
        self.recorded = Recorded()
        calendar = WorkingCalendar()
        self.directory = demo_directory()
        self.engine = Engine(
            database,
            services=recording_services(self.recorded),
            functions={
                **deadline_functions(lambda: calendar),
                **organisation_name_functions(lambda _code=None: ORG_NAMES),
            },
            directory=self.directory,
            role_known=LANE_ROLES.__contains__,
        )
        self.now = T0
        self.procedure = "normal"  # what a lifecycle walk expects the decision table to choose
        self.committee = "BAN_PC_TINH"  # the committee a walk assigns the examination to
        # The synthesis' counts come from the comment ledger (workflows.consultation.ledger,
        # wired by the Lifecycle); this engine has no drafts, so a stand-in check writes them.
        self.ledger_counts = {"comments_received": 2, "comments_accepted": 1,
                              "comments_explained": 1}  # fmt: skip
        self.engine.add_completion_check(self._ledger_counts)
        if deployed:  # the database holds this very deployment (see the ``run`` fixture)
            self.definitions = self.engine.definitions()
            return
        with clock.frozen_at(self.now):
            self.definitions = self.engine.deploy(model_files(), "process_owner")

    def _ledger_counts(self, request: Any) -> None:
        if request.task.spec_id == "Task_cns_synthesis":
            request.data.update(self.ledger_counts)

    def start(self, key: str, data: dict[str, Any]) -> int:
        with clock.frozen_at(self.now):
            return self.engine.start(key, actor=self.engine.actor("admin"), data=data).id

    def open(self, iid: int, element: str | None = None) -> list[TaskInfo]:
        tasks = self.engine.tasks(TaskQuery(instance_id=iid, states=("open", "claimed")))
        return [t for t in tasks if element is None or t.element_id == element]

    def task(self, iid: int, element: str) -> TaskInfo:
        tasks = self.open(iid, element)
        assert len(tasks) == 1, (element, [t.element_id for t in self.open(iid)])
        return tasks[0]

    def do(self, iid: int, element: str, user: str, data: dict[str, Any] | None = None) -> None:
        task = self.task(iid, element)
        with clock.frozen_at(self.now):
            self.engine.complete(task.id, self.engine.actor(user), data or {})

    def today(self) -> date:
        return self.now.astimezone(VIETNAM_TZ).date()

    def fire(self, moment: datetime) -> list[int]:
        self.now = moment
        return self.engine.fire_due_timers(moment).fired

    def status(self, iid: int) -> str:
        return self.engine.instance(iid).status

    def data(self, iid: int) -> dict[str, Any]:
        return self.engine.instance_data(iid)


def _deploy_every_model(url: str) -> None:
    database = Database(url)
    try:
        Run(database)
    finally:
        database.dispose()


@pytest.fixture
def run(database: Database, database_factory: DatabaseFactory) -> Run:
    """An engine on a database where every model is deployed (deployed once per process and
    copied: a deployment lints and parses 41 files, the larger part of a short test)."""
    database_factory.fill(database.url, "bpmn_models", _deploy_every_model)
    return Run(database, deployed=True)


def vn_date(moment: datetime | None) -> date:
    assert moment is not None
    return moment.astimezone(VIETNAM_TZ).date()


def test_everything_deploys_in_one_call_and_again_is_a_no_op(database: Database) -> None:
    run = Run(database)
    first = run.definitions
    assert {d.key for d in first if d.kind == "bpmn"} == set(PROCESSES)
    assert {d.key for d in first if d.kind == "dmn"} == {"Decision_procedure"}
    assert all(d.version == 1 and d.created for d in first)
    again = run.engine.deploy(model_files(), "process_owner")
    assert [(d.key, d.version, d.created) for d in again] == [(d.key, 1, False) for d in first]


def test_every_simplified_ground_gives_the_simplified_procedure(database: Database) -> None:
    engine = Engine(database)
    engine.deploy(
        {
            "procedure.dmn": (BPMN_DIR / "procedure.dmn").read_bytes(),
            "choose_procedure.bpmn": (DATA / "choose_procedure.bpmn").read_bytes(),
        },
        "process_owner",
    )
    actor = Actor("tester")
    cases = {ground: "simplified" for ground in SIMPLIFIED_GROUNDS}
    cases |= {"none": "normal", "plan": "normal", "": "normal"}
    for ground, expected in cases.items():
        instance = engine.start("choose_procedure", actor=actor, data={"ground": ground})
        assert engine.instance_data(instance.id)["procedure"] == expected, ground


def test_consultation_offers_one_task_per_consulted_agency(run: Run) -> None:
    agencies = ["STC", "SNV", "SKHCN"]
    iid = run.start(
        "stage_consultation",
        draft_data(consulted_agencies=agencies, needs_mttq_criticism=True, procedure="normal"),
    )
    run.do(iid, "Task_cns_post", "cv.sxd", {"posted_on": "2026-03-02", "portal_url": "https://x"})
    replies = run.open(iid, "Task_cns_reply")
    assert sorted(t.organisation for t in replies) == sorted(agencies)
    assert {t.role for t in replies} == {"consulted_agency"}
    assert all(t.title.startswith("Góp ý dự thảo: Quy định mức thu phí") for t in replies)
    assert {t.title.rsplit(" — ", 1)[1] for t in replies} == {
        ORGANISATIONS_BY_CODE[code].name_vi for code in agencies
    }
    # Reply within 10 calendar days (rule not yet confirmed) from Monday 2 March 2026.
    assert {vn_date(t.due_at) for t in replies} == {date(2026, 3, 12)}
    mttq = run.task(iid, "Task_cns_mttq")
    assert (mttq.role, mttq.organisation) == ("mttq", "MTTQ_TINH")
    by_org = {t.organisation: t for t in replies}
    with pytest.raises(Forbidden):
        run.engine.claim(by_org["SNV"].id, run.engine.actor("cv.stc"))
    for org, task in by_org.items():
        with clock.frozen_at(run.now):
            run.engine.complete(
                task.id,
                run.engine.actor(f"cv.{org.lower()}"),
                {"agrees": org != "SNV", "opinion": f"Ý kiến của {org}"},
            )
    run.do(iid, "Task_cns_mttq", "cv.mttq", {"mttq_agrees": True, "mttq_opinion": "Đồng ý"})
    # The posting period (30 days, rule not yet confirmed) has not ended: no synthesis yet.
    assert run.open(iid, "Task_cns_synthesis") == []
    posting_end = run.engine.instance(iid).next_timer_at
    assert vn_date(posting_end) == date(2026, 4, 1)
    assert run.fire(posting_end + timedelta(seconds=1)) == [iid]
    assert run.recorded.of("escalate") == []  # every reply came in time
    synthesis = run.task(iid, "Task_cns_synthesis")
    assert synthesis.organisation == "SXD"
    replies_data = run.engine.task_data(synthesis.id)["consultation_replies"]
    assert sorted(r["agency"] for r in replies_data) == sorted(agencies)
    assert {r["agency"]: r["agrees"] for r in replies_data}["SNV"] is False
    # The counts are not typed in: the form refuses them (they come from the ledger).
    with pytest.raises(InvalidData):
        run.do(iid, "Task_cns_synthesis", "cv.sxd",
               {"comments_received": 5, "synthesis_summary": "Đã tiếp thu"})  # fmt: skip
    # One ledger entry neither accepted nor explained: the model would send the step back.
    run.ledger_counts = {"comments_received": 5, "comments_accepted": 3, "comments_explained": 1}
    with pytest.raises(InvalidData, match="sends this step straight back"):
        run.do(iid, "Task_cns_synthesis", "cv.sxd", {"synthesis_summary": "Đã tiếp thu"})
    assert run.task(iid, "Task_cns_synthesis").id == synthesis.id
    run.ledger_counts = {"comments_received": 5, "comments_accepted": 3, "comments_explained": 2}
    run.do(iid, "Task_cns_synthesis", "cv.sxd", {"synthesis_summary": "Đã tiếp thu"})
    assert run.status(iid) == "completed"


def test_consultation_escalates_late_replies_and_skips_mttq_when_not_needed(run: Run) -> None:
    iid = run.start(
        "stage_consultation",
        draft_data(
            "qd_ct_ubnd_tinh", consulted_agencies=list(CHAIR_MANDATORY_CONSULTED),
            needs_mttq_criticism=False, procedure="simplified",
        ),
    )  # fmt: skip
    run.do(iid, "Task_cns_post", "cv.sxd", {"posted_on": "2026-03-02", "portal_url": "https://x"})
    replies = run.open(iid, "Task_cns_reply")
    assert sorted(t.organisation for t in replies) == sorted(CHAIR_MANDATORY_CONSULTED)
    # Simplified procedure: 3 days to reply (Decree 187/2025).
    assert {vn_date(t.due_at) for t in replies} == {date(2026, 3, 5)}
    assert run.open(iid, "Task_cns_mttq") == []
    run.fire(datetime(2026, 3, 5, 17, 1, tzinfo=UTC))
    assert run.recorded.of("escalate") == [{"step": "consultation_reply"}]
    assert len(run.open(iid, "Task_cns_reply")) == 4  # escalated, not cancelled


def test_drafting_four_eyes_and_rework(run: Run) -> None:
    both = Actor(
        "hai.sxd", frozenset({RoleGrant("drafter", "SXD"), RoleGrant("agency_head", "SXD")})
    )
    run.directory.add(both)
    iid = run.start("stage_drafting", draft_data(procedure="normal"))
    draft = run.task(iid, "Task_drf_draft")
    assert (draft.role, draft.organisation, draft.title) == (
        "drafter", "SXD", "Soạn thảo: Quy định mức thu phí tham quan",
    )  # fmt: skip
    # 60 calendar days end on Friday 1 May 2026, a holiday (30/4-3/5): the next working day.
    assert vn_date(draft.due_at) == date(2026, 5, 4)
    run.do(iid, "Task_drf_draft", "hai.sxd", {"summary": "Bản 1", "needs_mttq_criticism": False})
    approve = run.task(iid, "Task_drf_approve")
    assert run.engine.refusal(approve.id, both, "claim") is not None  # own draft
    with pytest.raises(InvalidData):
        run.do(iid, "Task_drf_approve", "gd.sxd", {"decision": "return"})
    run.do(iid, "Task_drf_approve", "gd.sxd", {"decision": "return", "reason": "Thiếu tờ trình"})
    # Returned work goes straight back to its author, not to the drafters' shared list.
    rework = run.task(iid, "Task_drf_draft")
    assert (rework.state, rework.assignee) == ("claimed", "hai.sxd")
    with pytest.raises(Forbidden):
        run.do(iid, "Task_drf_draft", "cv.sxd", {"summary": "Bản 2", "needs_mttq_criticism": True})
    run.do(iid, "Task_drf_draft", "hai.sxd", {"summary": "Bản 2", "needs_mttq_criticism": True})
    run.do(iid, "Task_drf_approve", "gd.sxd", {"decision": "approve"})
    assert run.status(iid) == "completed"
    assert run.data(iid)["needs_mttq_criticism"] is True


def test_appraisal_returns_escalate_to_the_agency_head_from_the_third(run: Run) -> None:
    iid = run.start("stage_appraisal", draft_data(procedure="normal"))
    missing = {"decision": "return", "reason": "Thiếu báo cáo", "missing_items": ["to_trinh"]}
    for _ in range(3):
        assert run.open(iid, "Task_apr_head") == []
        run.do(iid, "Task_apr_submit", "cv.sxd")
        check = run.task(iid, "Task_apr_check")
        assert (check.role, check.organisation) == ("appraiser", "STP")
        run.do(iid, "Task_apr_check", "tdv.stp", missing)
    assert run.recorded.of("escalate") == [{"step": "appraisal"}]
    head = run.task(iid, "Task_apr_head")
    assert (head.role, head.organisation) == ("agency_head", "SXD")
    run.do(iid, "Task_apr_head", "gd.sxd", {"instruction": "Bổ sung ngay tờ trình"})
    run.do(iid, "Task_apr_submit", "cv.sxd")
    assert run.task(iid, "Task_apr_check").assignee == "tdv.stp"  # the appraiser who returned it
    run.do(iid, "Task_apr_check", "tdv.stp", {"decision": "accept"})
    appraise = run.task(iid, "Task_apr_appraise")
    assert vn_date(appraise.due_at) == date(2026, 3, 16)  # 10 working days
    run.do(iid, "Task_apr_appraise", "tdv.stp",
           {"appraisal_result": "ready", "appraisal_summary": "Đủ điều kiện"})  # fmt: skip
    run.do(iid, "Task_apr_intake", "cv.sxd", {"intake_summary": "Đã tiếp thu"})
    assert run.status(iid) == "completed"
    assert run.data(iid)["appraisal_returns"] == 3


def test_simplified_appraisal_has_seven_days(run: Run) -> None:
    iid = run.start("stage_appraisal", draft_data(procedure="simplified"))
    run.do(iid, "Task_apr_submit", "cv.sxd")
    run.do(iid, "Task_apr_check", "tdv.stp", {"decision": "accept"})
    assert vn_date(run.task(iid, "Task_apr_appraise").due_at) == date(2026, 3, 9)


@pytest.mark.parametrize(
    "members, votes, passed", [(7, 4, True), (7, 3, False), (6, 3, False), (6, 4, True)]
)
def test_ubnd_passes_with_more_than_half_of_all_members(
    run: Run, members: int, votes: int, passed: bool
) -> None:
    iid = run.start("stage_ubnd_review", draft_data("qd_ubnd_tinh", procedure="normal"))
    run.do(iid, "Task_ubr_prepare", "cv.vpubnd", {"consideration_form": "written"})
    vote = {"ubnd_conclusion": "Kết luận của UBND", "ubnd_members_total": members}
    with pytest.raises(InvalidData, match="cannot exceed the total"):  # refused, not looped
        run.do(iid, "Task_ubr_record", "cv.vpubnd", {**vote, "ubnd_votes_for": members + 1})
    assert run.status(iid) == "running"
    run.do(iid, "Task_ubr_record", "cv.vpubnd", {**vote, "ubnd_votes_for": votes})
    assert run.status(iid) == "completed"
    assert run.data(iid)["ubnd_passed"] is passed


def test_examination_goes_to_the_committee_the_standing_committee_chose(run: Run) -> None:
    iid = run.start("stage_examination", draft_data(procedure="normal"))
    with pytest.raises(InvalidData):
        run.do(iid, "Task_exm_assign", "tt.hdnd", {"decision": "accept"})
    run.do(iid, "Task_exm_assign", "tt.hdnd", {"decision": "return", "reason": "Thiếu hồ sơ"})
    run.do(iid, "Task_exm_supplement", "cv.sxd", {"dossier_note": "Đã bổ sung"})
    run.do(iid, "Task_exm_assign", "tt.hdnd",
           {"decision": "accept", "examining_committee": "BAN_KTNS_TINH"})  # fmt: skip
    examine = run.task(iid, "Task_exm_examine")
    assert (examine.role, examine.organisation) == ("examiner", "BAN_KTNS_TINH")
    with pytest.raises(Forbidden):
        run.engine.claim(examine.id, run.engine.actor("ban.pc"))
    run.do(iid, "Task_exm_examine", "ban.ktns",
           {"examination_result": "ready", "examination_summary": "Đủ điều kiện"})  # fmt: skip
    run.do(iid, "Task_exm_answer", "cv.sxd", {"intake_summary": "Đã tiếp thu"})
    assert run.status(iid) == "completed"


@pytest.mark.parametrize(
    "votes_for, decision, outcome",
    [(31, None, "adopted"), (30, "redraft", "redraft"), (12, "drop", "dropped")],
)
def test_adoption_needs_more_than_half_of_all_deputies(
    run: Run, votes_for: int, decision: str | None, outcome: str
) -> None:
    iid = run.start("stage_adoption", draft_data(procedure="normal"))
    vote = {
        "session_date": run.today().isoformat(),
        "deputies_total": 60,
        "deputies_for": votes_for,
    }
    run.do(iid, "Task_adp_vote", "cv.vphdnd", vote)
    if decision:
        run.do(iid, "Task_adp_decide", "tt.hdnd", {"decision": decision, "reason": "Kỳ họp"})
    assert run.status(iid) == "completed"
    assert run.data(iid)["adoption_outcome"] == outcome
    closed = [{"outcome": "dropped"}] if outcome == "dropped" else []
    assert run.recorded.of("close_draft") == closed


def test_publication_enforces_the_ten_day_rule_then_takes_effect(run: Run) -> None:
    iid = run.start("stage_publication", draft_data(procedure="normal", is_resolution=True))
    certify = run.task(iid, "Task_pub_certify")
    assert (certify.role, certify.organisation) == ("hdnd_chair", "HDND_TINH")
    too_soon = {"signed_on": "2026-03-02", "effective_on": "2026-03-09", "urgent_effect": False}
    with pytest.raises(InvalidData, match="straight back"):  # the model would ask again
        run.do(iid, "Task_pub_certify", "ct.hdnd", too_soon)
    assert run.recorded.calls == []
    run.do(iid, "Task_pub_certify", "ct.hdnd", {**too_soon, "effective_on": "2026-03-12"})
    assert run.recorded.names() == ["assign_number"]
    send = run.task(iid, "Task_pub_send_hdnd")
    assert (send.role, send.organisation) == ("hdnd_office", "VP_HDND")
    assert vn_date(send.due_at) == date(2026, 3, 5)  # 3 days
    run.do(iid, "Task_pub_send_hdnd", "cv.vphdnd", {"sent_on": "2026-03-02"})
    assert run.recorded.names() == ["assign_number", "publish"]
    # In force from 00:00 on 12 March in Vietnam (17:00 UTC on the 11th).
    assert run.engine.instance(iid).next_timer_at == datetime(2026, 3, 11, 17, 0, tzinfo=UTC)
    assert run.fire(datetime(2026, 3, 11, 16, 59, tzinfo=UTC)) == []
    assert run.fire(datetime(2026, 3, 11, 17, 0, 1, tzinfo=UTC)) == [iid]
    assert run.recorded.names() == [
        "assign_number", "publish", "register_regulation", "start_monitoring",
    ]  # fmt: skip
    assert run.status(iid) == "completed"


@pytest.mark.parametrize("procedure, urgent", [("simplified", False), ("normal", True)])
def test_decisions_may_take_effect_at_signing_when_simplified_or_urgent(
    run: Run, procedure: str, urgent: bool
) -> None:
    data = draft_data("qd_ubnd_tinh", procedure=procedure, is_resolution=False)
    iid = run.start("stage_publication", data)
    sign = run.task(iid, "Task_pub_sign")
    assert (sign.role, sign.organisation) == ("ubnd_chair", "UBND_TINH")
    signed = {"signed_on": "2026-03-02", "effective_on": "2026-03-02", "urgent_effect": urgent}
    if urgent:
        signed["urgent_reason"] = "Phòng chống dịch bệnh"
    run.do(iid, "Task_pub_sign", "ct.ubnd", signed)
    assert (run.task(iid, "Task_pub_send_ubnd").organisation) == "VP_UBND"
    run.do(iid, "Task_pub_send_ubnd", "cv.vpubnd", {"sent_on": "2026-03-02"})
    assert run.status(iid) == "completed"  # already in force: registered and monitored
    assert run.recorded.names()[-2:] == ["register_regulation", "start_monitoring"]


def test_monitoring_reports_every_six_months_and_ends_when_repealed(run: Run) -> None:
    data = draft_data(procedure="normal", first_report_on="2026-09-30")
    iid = run.start("regulation_monitoring", data)
    assert sorted(t.element_id for t in run.open(iid)) == ["Task_mon_inspect", "Task_mon_plan"]
    assert run.task(iid, "Task_mon_inspect").organisation == "STP"
    inspected = {"inspection_kind": "legality_inspection", "finding_summary": "Điều 5 trái luật"}
    run.do(iid, "Task_mon_inspect", "ktv.stp", {**inspected, "finding": "amend"})
    assert run.recorded.of("create_follow_up_draft") == [{"kind": "amend"}]
    run.do(iid, "Task_mon_plan", "cv.sxd", {"plan_summary": "Kế hoạch triển khai"})
    assert run.task(iid, "Task_mon_follow").role == "drafter"
    first = run.engine.instance(iid).next_timer_at
    assert first == datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # end of 30/09 in Vietnam
    run.fire(first + timedelta(minutes=1))
    report = run.task(iid, "Task_mon_report")
    assert (report.role, report.organisation) == ("drafter", "SXD")
    run.do(
        iid,
        "Task_mon_report",
        "cv.sxd",
        {"report_period": "2026-H2", "impact": "unclear", "report_summary": "Chưa rõ"},
    )
    assert run.recorded.of("record_impact") == [{"impact": "unclear"}]
    # The annual review runs a year after monitoring started (2 March 2027).
    run.fire(datetime(2027, 3, 2, 3, 0, tzinfo=UTC))
    assert sorted(t.element_id for t in run.open(iid)) == ["Task_mon_follow", "Task_mon_review"]
    run.do(iid, "Task_mon_review", "ktv.stp",
           {**inspected, "inspection_kind": "review", "finding": "none"})  # fmt: skip
    assert len(run.recorded.of("create_follow_up_draft")) == 1
    run.fire(datetime(2027, 4, 1, 0, 0, tzinfo=UTC))  # the second semi-annual report
    assert sorted(t.element_id for t in run.open(iid)) == ["Task_mon_follow", "Task_mon_report"]
    run.do(iid, "Task_mon_follow", "cv.sxd", {"end_reason": "repealed"})
    assert run.status(iid) == "completed"
    assert run.open(iid) == []  # the pending report is cancelled with the monitoring
    assert run.recorded.of("escalate") == []


# --- whole lifecycles with recorded services -------------------------------------------------


def _answers(run: Run, element: str) -> dict[str, Any]:
    """Canned form data for each step of a lifecycle walk."""
    today = run.today()
    step = element.split("_", 2)[-1] if element.count("_") >= 2 else element
    signed = {"signed_on": today.isoformat(), "urgent_effect": False}
    effective = today if run.procedure == "simplified" else today + timedelta(days=10)
    answers: dict[str, dict[str, Any]] = {
        "register": {"necessity": "Cần thiết ban hành", "main_content": "Mức thu phí mới"},
        "approve_registration": {"decision": "approve"},
        "simplified_request": {
            "necessity": "Khắc phục hậu quả bão", "scope": "Toàn tỉnh",
            "main_content": "Miễn phí tham quan", "ground_explanation": "Điều 50: thiên tai",
        },
        "simplified_decision": {"decision": "approve"},
        "chair_review": {"decision": "approve"},
        "draft": {"summary": "Dự thảo lần 1", "needs_mttq_criticism": True},
        "approve": {"decision": "approve"},
        "post": {"posted_on": today.isoformat(), "portal_url": "https://tragiang.example/du-thao"},
        "reply": {"agrees": True, "opinion": "Thống nhất"},
        "mttq": {"mttq_agrees": True, "mttq_opinion": "Đồng thuận"},
        "synthesis": {"synthesis_summary": "Đã tiếp thu, giải trình"},
        "submit": {},
        "check": {"decision": "accept"},
        "appraise": {"appraisal_result": "ready", "appraisal_summary": "Đủ điều kiện trình"},
        "intake": {"intake_summary": "Đã tiếp thu"},
        "prepare": {"consideration_form": "meeting"},
        "record": {"ubnd_members_total": 9, "ubnd_votes_for": 7, "ubnd_conclusion": "Thông qua"},
        "assign": {"decision": "accept", "examining_committee": run.committee},
        "examine": {"examination_result": "ready", "examination_summary": "Đủ điều kiện"},
        "answer": {"intake_summary": "Đã tiếp thu ý kiến thẩm tra"},
        "vote": {"session_date": today.isoformat(), "deputies_total": 50, "deputies_for": 45},
        "certify": {**signed, "effective_on": effective.isoformat()},
        "sign": {**signed, "effective_on": effective.isoformat()},
        "send_hdnd": {"sent_on": today.isoformat()},
        "send_ubnd": {"sent_on": today.isoformat()},
    }  # fmt: skip
    return answers[step]


def _holder(run: Run, task: TaskInfo) -> str:
    for user in USERS:
        if (task.role, task.organisation) in user.grants:
            return user.username
    raise AssertionError(f"nobody holds {task.role} in {task.organisation}")


def walk(run: Run, iid: int) -> tuple[list[str], dict[str, Any]]:
    """Complete every offered task with canned answers, firing timers when none is left.

    Returns the element ids completed and the data the last task saw.
    """
    done: list[str] = []
    seen: dict[str, Any] = {}
    for _ in range(200):
        if run.status(iid) != "running":
            return done, seen
        tasks = run.open(iid)
        if not tasks:
            due = run.engine.instance(iid).next_timer_at
            assert due is not None, "stuck: no task and no timer"
            run.fire(max(due, run.now) + timedelta(minutes=1))
            continue
        task = tasks[0]
        seen = run.engine.task_data(task.id)
        with clock.frozen_at(run.now):
            run.engine.complete(
                task.id, run.engine.actor(_holder(run, task)), _answers(run, task.element_id)
            )
        done.append(task.element_id)
    raise AssertionError("the walk did not end")


@pytest.mark.parametrize(
    "kind, commune, ground",
    [
        ("nq_hdnd_tinh", None, "none"),
        ("qd_ubnd_tinh", None, "none"),
        ("qd_ct_ubnd_tinh", None, "disaster"),
        ("nq_hdnd_xa", "BS", "suspension"),
        ("qd_ubnd_xa", "DM", "none"),
    ],
)
def test_a_whole_lifecycle_runs_from_registration_to_effect(
    run: Run, kind: str, commune: str | None, ground: str
) -> None:
    run.procedure = "normal" if ground == "none" else "simplified"
    run.committee = process_orgs(kind, commune)["hdnd_committees"][0]
    iid = run.start(kind, draft_data(kind, commune, ground=ground))
    done, data = walk(run, iid)
    assert data["procedure"] == run.procedure
    assert run.status(iid) == "completed"
    resolution = kind.startswith("nq_")
    assert data["is_resolution"] is resolution
    assert ("Task_exm_examine" in done) is resolution
    assert ("Task_adp_vote" in done) is resolution
    assert ("Task_ubr_record" in done) is (kind != "qd_ct_ubnd_tinh")
    prefix = {"nq_hdnd_tinh": "nqt", "qd_ubnd_tinh": "qdt", "qd_ct_ubnd_tinh": "qdc",
              "nq_hdnd_xa": "nqx", "qd_ubnd_xa": "qdx"}[kind]  # fmt: skip
    assert (f"Task_{prefix}_simplified_request" in done) is (ground != "none")
    assert done[:2] == [f"Task_{prefix}_register", f"Task_{prefix}_approve_registration"]
    assert done[-1] == ("Task_pub_send_hdnd" if resolution else "Task_pub_send_ubnd")
    assert len(data["consultation_replies"]) == len(data["consulted_agencies"])
    assert run.recorded.names()[-5:] == [
        "assign_number", "publish", "register_regulation", "start_monitoring", "close_draft",
    ]  # fmt: skip
    assert run.recorded.of("close_draft") == [{"outcome": "done"}]
    assert run.recorded.of("escalate") == []


def test_a_rejected_registration_closes_the_draft(run: Run) -> None:
    iid = run.start("qd_ubnd_tinh", draft_data("qd_ubnd_tinh"))
    run.do(iid, "Task_qdt_register", "cv.sxd",
           {"necessity": "Cần thiết ban hành", "main_content": "Mức thu phí"})  # fmt: skip
    approval = run.task(iid, "Task_qdt_approve_registration")
    assert (approval.role, approval.organisation) == ("ubnd_chair", "UBND_TINH")
    run.do(iid, "Task_qdt_approve_registration", "ct.ubnd",
           {"decision": "reject", "reason": "Không thuộc thẩm quyền"})  # fmt: skip
    assert run.status(iid) == "completed"
    assert run.recorded.calls == [("close_draft", {"outcome": "dropped"})]


def test_a_refused_simplified_request_falls_back_to_the_normal_procedure(run: Run) -> None:
    iid = run.start("nq_hdnd_tinh", draft_data(ground="epidemic"))
    run.do(iid, "Task_nqt_register", "cv.sxd",
           {"necessity": "Cần thiết ban hành", "main_content": "Mức thu phí"})  # fmt: skip
    run.do(iid, "Task_nqt_approve_registration", "tt.hdnd", {"decision": "approve"})
    assert run.data(iid)["procedure"] == "simplified"
    run.do(iid, "Task_nqt_simplified_request", "cv.sxd", {
        "necessity": "Dịch bệnh lan rộng", "scope": "Toàn tỉnh", "main_content": "Miễn phí tham quan",
        "ground_explanation": "Điều 50: dịch bệnh",
    })  # fmt: skip
    run.do(iid, "Task_nqt_simplified_decision", "tt.hdnd",
           {"decision": "refuse", "reason": "Không đủ căn cứ cấp bách"})  # fmt: skip
    assert run.task(iid, "Task_drf_draft").organisation == "SXD"
    assert run.data(iid)["procedure"] == "normal"
