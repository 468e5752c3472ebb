"""Every document type end to end with the real domain services, as the right people.

At every step the wrong people (another role, or the same role in another organisation) are
proven to be refused before the right person acts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import Actor, Forbidden, TaskQuery, clock
from engine.specs import UserTaskInfo
from engine.tasks import TaskInfo
from workflows.autopilot import Autopilot, at_step
from workflows.calendar import vietnam_date
from workflows.deadlines import DeadlineRule
from workflows.directory import User, actor_of
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle
from workflows.notifications import Notification, render
from workflows.registry import Regulation, RegulationLink

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 in Hà Nội


@pytest.fixture
def deployed(lifecycle: Lifecycle) -> Lifecycle:
    lifecycle.deploy_models("owner")
    return lifecycle


def _everyone(lifecycle: Lifecycle) -> list[Actor]:
    with lifecycle.db.read() as session:
        users = session.execute(select(User).order_by(User.username)).scalars().all()
        return [actor_of(session, user) for user in users]


class Checked(Autopilot):
    """An autopilot that first proves nobody else may claim or complete each step."""

    everyone: list[Actor]
    refused: int = 0
    stages: list[str]

    def act(self, draft: Draft, task: TaskInfo) -> TaskInfo:
        engine = self.lifecycle.engine
        outsiders = [
            actor
            for actor in self.everyone
            if not actor.is_admin and not actor.holds(task.role, task.organisation)
        ]
        assert outsiders, "there must be someone who may not do this step"
        for actor in outsiders[:: max(1, len(outsiders) // 4)]:
            assert engine.refusal(task.id, actor, "complete") is not None
            with pytest.raises(Forbidden):
                if task.state == "open":
                    engine.claim(task.id, actor)
                else:
                    engine.complete(task.id, actor, {})
            self.refused += 1
        done = super().act(draft, task)
        self.stages.append(self.reload(draft).stage)
        return done


def _pilot(lifecycle: Lifecycle, decide: Any = None) -> Checked:
    pilot = Checked(lifecycle, decide=decide, now=T0, pace=timedelta(days=1))
    pilot.everyone = _everyone(lifecycle)
    pilot.stages = []
    return pilot


def _start(
    lifecycle: Lifecycle,
    document_type: str,
    *,
    ground: str = "none",
    consulted: tuple[str, ...] = ("STC", "SNV"),
) -> Draft:
    commune = "XA_A" if document_type.endswith("_xa") else None
    drafter = "cv.xa" if commune else "cv.sxd"
    lead = "XA_A_VP" if commune else "SXD"
    with clock.frozen_at(T0), lifecycle.db.write() as session:
        actor = lifecycle.engine.actor(drafter)
        draft = lifecycle.start_draft(
            session,
            actor,
            title="Quy định mức thu phí tham quan di tích",
            document_type=document_type,
            lead_agency=lead,
            commune=commune,
            ground=ground,
            consulted_agencies=() if commune else consulted,
            target_session="Kỳ họp thứ 7",
        )
        session.flush()
        return draft


EXPECTED_STAGES = {
    "nq_hdnd_tinh": ["plan", "drafting", "consultation", "appraisal", "ubnd_review",
                     "examination", "adoption", "signing", "publication"],
    "qd_ubnd_tinh": ["plan", "drafting", "consultation", "appraisal", "ubnd_review", "signing",
                     "publication"],
    "qd_ct_ubnd_tinh": ["plan", "drafting", "consultation", "appraisal", "signing", "publication"],
    "nq_hdnd_xa": ["plan", "drafting", "consultation", "appraisal", "ubnd_review", "examination",
                   "adoption", "signing", "publication"],
    "qd_ubnd_xa": ["plan", "drafting", "consultation", "appraisal", "ubnd_review", "signing",
                   "publication"],
}  # fmt: skip
SUFFIX = {"nq_hdnd_tinh": "NQ-HĐND", "qd_ubnd_tinh": "QĐ-UBND", "qd_ct_ubnd_tinh": "QĐ-CT",
          "nq_hdnd_xa": "NQ-HĐND", "qd_ubnd_xa": "QĐ-UBND"}  # fmt: skip


@pytest.mark.parametrize("document_type", list(EXPECTED_STAGES))
def test_each_document_type_runs_from_registration_to_monitoring(
    deployed: Lifecycle, document_type: str
) -> None:
    draft = _start(deployed, document_type)
    pilot = _pilot(deployed)
    draft = pilot.run(draft)
    assert draft.status == "done" and draft.stage == "monitoring"
    assert pilot.refused >= len(pilot.steps)
    seen = list(dict.fromkeys(["plan", *pilot.stages]))
    assert [s for s in EXPECTED_STAGES[document_type] if s in seen] == EXPECTED_STAGES[
        document_type
    ]
    assert re.fullmatch(rf"01/2026/{SUFFIX[document_type]}", draft.number or "")
    assert draft.published_on is not None and draft.signed_on is not None
    assert (draft.effective_on - draft.signed_on).days >= 10  # type: ignore[operator]
    engine = deployed.engine
    with deployed.db.read() as session:
        regulation = session.execute(
            select(Regulation).where(Regulation.draft_id == draft.id)
        ).scalar_one()
        assert regulation.status == "in_force" and regulation.number == draft.number
        monitoring = regulation.monitoring_instance_id
    assert monitoring is not None
    first = engine.tasks(TaskQuery(instance_id=monitoring, states=("open",)))
    assert "Task_mon_plan" in [t.element_id for t in first]
    assert engine.verify_audit(draft.instance_id).ok
    consulted_replies = [s for s in pilot.steps if s[1] == "Task_cns_reply"]
    if document_type == "qd_ct_ubnd_tinh":  # the four mandatory departments (+ SXD excluded)
        assert {user for _, _, user in consulted_replies} == {
            "cv.stc",
            "cv.snv",
            "tdv.stp",
            "cv.skhcn",
        }


def _return_once(element: str, **extra: Any) -> Any:
    returned: list[str] = []

    def decide(task: TaskInfo, info: UserTaskInfo | None, data: Mapping[str, Any]) -> Any:
        if task.element_id == element and not returned:
            returned.append(task.id)
            return {
                "decision": "return",
                "reason": "Hồ sơ còn thiếu báo cáo đánh giá tác động",
                **extra,
            }
        return None

    return decide


def test_an_incomplete_dossier_is_returned_and_resubmitted(deployed: Lifecycle) -> None:
    draft = _start(deployed, "qd_ubnd_tinh")
    pilot = _pilot(
        deployed, decide=_return_once("Task_apr_check", missing_items=["bao_cao_danh_gia_tac_dong"])
    )
    draft = pilot.run(draft, until=at_step("_ubr_prepare"))
    steps = [element for _, element, _ in pilot.steps]
    first_check = steps.index("Task_apr_check")
    assert steps[first_check + 1] == "Task_apr_submit"  # back to the drafter
    assert steps.count("Task_apr_check") == 2 and "Task_apr_appraise" in steps
    history = deployed.engine.task_history(draft.instance_id)
    assert [t.element_id for t in history].count("Task_apr_submit") == 2


def _today() -> str:
    """Vietnamese today as the autopilot's clock reads it (a vote is never dated ahead)."""
    from engine import clock
    from workflows.calendar import vietnam_date

    return vietnam_date(clock.now()).isoformat()


def test_a_failed_vote_goes_back_to_drafting_or_drops_the_draft(deployed: Lifecycle) -> None:
    def failing(task: TaskInfo, info: UserTaskInfo | None, data: Mapping[str, Any]) -> Any:
        if task.element_id == "Task_adp_vote":
            return {"session_date": _today(), "deputies_total": 50, "deputies_for": 20}
        if task.element_id == "Task_adp_decide":
            return {"decision": "drop", "reason": "Không đủ cơ sở ban hành"}
        return None

    draft = _start(deployed, "nq_hdnd_tinh")
    draft = _pilot(deployed, decide=failing).run(draft)
    assert draft.status == "dropped" and draft.number is None
    assert deployed.engine.instance(draft.instance_id).status == "completed"

    votes: list[str] = []

    def redraft_once(task: TaskInfo, info: UserTaskInfo | None, data: Mapping[str, Any]) -> Any:
        if task.element_id == "Task_adp_vote" and not votes:
            votes.append(task.id)
            return {"session_date": _today(), "deputies_total": 50, "deputies_for": 25}
        if task.element_id == "Task_adp_decide":
            return {"decision": "redraft", "reason": "Chỉnh lý theo ý kiến đại biểu"}
        return None

    second = _start(deployed, "nq_hdnd_tinh")
    pilot = _pilot(deployed, decide=redraft_once)
    second = pilot.run(second)
    steps = [element for _, element, _ in pilot.steps]
    decide_at = steps.index("Task_adp_decide")
    assert "Task_drf_draft" in steps[decide_at:]  # back to drafting, then adopted
    assert second.status == "done" and second.number is not None


def test_the_simplified_procedure_has_its_own_path_and_shorter_limits(deployed: Lifecycle) -> None:
    draft = _start(deployed, "nq_hdnd_tinh", ground="disaster")
    pilot = _pilot(deployed)
    draft = pilot.run(draft, until=at_step("_apr_appraise"))
    assert draft.procedure == "simplified"
    steps = [element for _, element, _ in pilot.steps]
    assert "Task_nqt_simplified_request" in steps and "Task_nqt_simplified_decision" in steps
    appraise = next(t for t in pilot.open_tasks(draft) if t.element_id == "Task_apr_appraise")
    # 7 calendar days from the complete dossier (Art. 50), a last day on a rest day moving to
    # the next working day (Civil Code Art. 148).
    assert appraise.due_at is not None
    start, due = vietnam_date(appraise.created_at), vietnam_date(appraise.due_at)
    assert due == deployed.calendar().add_calendar_days(start, 7)
    assert 7 <= (due - start).days <= 10
    assert (
        deployed.engine.task_data(appraise.id)["deadline_rules"]["simplified"]["appraisal"][
            "amount"
        ]
        == 7
    )
    draft = pilot.run(draft)
    assert draft.status == "done"


def test_a_monitoring_finding_starts_a_linked_amendment(deployed: Lifecycle) -> None:
    draft = _pilot(deployed).run(_start(deployed, "qd_ubnd_tinh"))
    with deployed.db.read() as session:
        regulation = session.execute(
            select(Regulation).where(Regulation.draft_id == draft.id)
        ).scalar_one()
    engine = deployed.engine

    def amend(task: TaskInfo, info: UserTaskInfo | None, data: Mapping[str, Any]) -> Any:
        if task.element_id == "Task_mon_inspect":
            return {
                "inspection_kind": "legality_inspection",
                "finding": "amend",
                "finding_summary": "Mức thu không còn phù hợp luật phí mới",
            }
        return None

    pilot = _pilot(deployed, decide=amend)
    pilot.now = T0 + timedelta(days=60)
    monitor = draft  # monitoring works on the dossier of the draft the regulation came from
    for _ in range(12):
        tasks = engine.tasks(
            TaskQuery(instance_id=regulation.monitoring_instance_id, states=("open", "claimed"))
        )
        inspect = [t for t in tasks if t.element_id == "Task_mon_inspect"]
        if inspect:
            pilot.act(monitor, inspect[0])
            break
        plan = [t for t in tasks if t.element_id in ("Task_mon_plan", "Task_mon_report")]
        if plan:
            pilot.act(monitor, plan[0])
            continue
        due = engine.instance(regulation.monitoring_instance_id).next_timer_at
        assert due is not None
        engine.fire_due_timers(due + timedelta(minutes=1))
    with deployed.db.read() as session:
        follow_up = session.execute(
            select(Draft).where(Draft.follows_regulation_id == regulation.id)
        ).scalar_one()
        assert follow_up.follow_up_kind == "amend" and follow_up.instance_id is not None
        assert follow_up.title.startswith("Sửa đổi, bổ sung")
    follow_up = _pilot(deployed).run(follow_up)
    assert follow_up.status == "done"
    with deployed.db.read() as session:
        original = session.get(Regulation, regulation.id)
        assert original is not None and original.status == "amended"
        link = session.execute(select(RegulationLink)).scalar_one()
        assert (link.target_id, link.kind) == (regulation.id, "amends")


def test_rules_changed_mid_draft_apply_only_to_new_drafts(deployed: Lifecycle) -> None:
    early = _start(deployed, "qd_ubnd_tinh")
    with deployed.db.write() as session:
        session.add(
            DeadlineRule(
                document_type="*",
                procedure="normal",
                step="appraisal",
                amount=5,
                unit="working_days",
                legal_basis="Nghị định mới (giả định)",
                confirmed=True,
                effective_from=T0.date(),
            )
        )
    deployed.calendar.refresh()
    late = _start(deployed, "qd_ubnd_tinh")
    limits = {}
    for draft in (early, late):
        pilot = _pilot(deployed)
        draft = pilot.run(draft, until=at_step("_apr_appraise"))
        task = next(t for t in pilot.open_tasks(draft) if t.element_id == "Task_apr_appraise")
        limits[draft.code] = deployed.engine.task_data(task.id)["deadline_rules"]["normal"][
            "appraisal"
        ]["amount"]
        calendar = deployed.calendar()
        start = vietnam_date(task.created_at)
        assert task.due_at is not None
        assert calendar.working_days_between(start, vietnam_date(task.due_at)) == limits[draft.code]
    assert limits == {early.code: 10, late.code: 5}


def test_overdue_steps_escalate_once(deployed: Lifecycle) -> None:
    draft = _start(deployed, "qd_ubnd_tinh")
    engine = deployed.engine
    register = engine.tasks(TaskQuery(instance_id=draft.instance_id))[0]
    assert register.due_at is not None
    later = register.due_at + timedelta(days=1)
    engine.fire_due_timers(later)
    engine.fire_due_timers(later + timedelta(days=3))
    with deployed.db.read() as session:
        notes = (
            session.execute(select(Notification).where(Notification.kind == "escalation"))
            .scalars()
            .all()
        )
    assert {(n.recipient, n.kind) for n in notes} == {("gd.sxd", "escalation")}
    assert len(notes) == 1 and draft.code in render(notes[0].kind, notes[0].params, "en").subject
