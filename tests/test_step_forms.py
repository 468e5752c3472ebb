"""Every step can be answered through its page as the law allows, and says what it refuses.

One test per defect class a newcomer met walking a resolution through the pages: a yes/no
question answered "No", organisation fields that only take valid organisations, fields in
the order their author wrote, forms pre-filled only with the step's own answers, earlier
steps' answers visible to later ones, impossible figures refused before anything completes.
Drafts are brought to the step under test by the autopilot (engine side); the step itself is
done through the real pages and forms.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import DeploymentError, TaskQuery
from engine.task_queries import TaskInfo
from tests.support.drafts import start_draft
from tests.support.web import csrf_token, signed_in
from workflows.autopilot import Autopilot, at_step
from workflows.directory import Organisation
from workflows.drafts import Draft
from workflows.lifecycle import MODELS, Lifecycle, model_files
from workflows.registry import ImpactAssessment


@pytest.fixture(autouse=True)
def _clock_restored() -> Any:
    """Tests here let days pass on the process clock; each gets the suite's clock back."""
    from engine import clock

    with clock.travelling(clock.now()):
        yield


def start(
    lifecycle: Lifecycle, document_type: str = "qd_ubnd_tinh", *, deploy: bool = True
) -> Draft:
    return start_draft(lifecycle, document_type=document_type, consulted=("STC",), deploy=deploy)


def walk(
    lifecycle: Lifecycle,
    draft: Draft,
    step: str,
    decide: Callable[[TaskInfo, Any, Mapping[str, Any]], dict[str, Any] | None] | None = None,
) -> TaskInfo:
    """Let the autopilot work the draft until the step ending in ``step`` is open."""
    Autopilot(lifecycle, decide=decide).run(draft, until=at_step(step))
    return open_step(lifecycle, draft, step)


def open_step(lifecycle: Lifecycle, draft: Draft, step: str) -> TaskInfo:
    tasks = lifecycle.engine.tasks(
        TaskQuery(instance_id=draft.instance_id, states=("open", "claimed"), limit=100)
    )
    found = [t for t in tasks if t.element_id.endswith(step)]
    assert found, f"{step} is not open: {[t.element_id for t in tasks]}"
    return found[0]


def monitoring_step(lifecycle: Lifecycle, draft: Draft, step: str) -> TaskInfo:
    """Walk the draft to its end, then its regulation's monitoring until ``step`` is open."""
    from engine import clock
    from workflows.registry import Regulation

    pilot = Autopilot(lifecycle)
    draft = pilot.run(draft)
    with lifecycle.db.read() as session:
        from sqlalchemy import select

        regulation = session.execute(
            select(Regulation).where(Regulation.draft_id == draft.id)
        ).scalar_one()
        instance_id = regulation.monitoring_instance_id
    assert instance_id is not None
    for _ in range(30):
        tasks = lifecycle.engine.tasks(
            TaskQuery(instance_id=instance_id, states=("open", "claimed"), limit=100)
        )
        wanted = [t for t in tasks if t.element_id.endswith(step)]
        if wanted:
            return wanted[0]
        workable = [t for t in tasks if not t.element_id.endswith("_mon_follow")]
        if workable:
            pilot.act(draft, workable[0])
            continue
        due = lifecycle.engine.instance(instance_id).next_timer_at
        assert due is not None, [t.element_id for t in tasks]
        clock.travel_to(due + timedelta(minutes=1))
        lifecycle.engine.fire_due_timers(clock.now())
    raise AssertionError(f"{step} never opened")


def submit(client: FlaskClient, task: TaskInfo, data: dict[str, Any]) -> Any:
    page = f"/tasks/{task.id}"
    return client.post(f"{page}/complete", data={**data, "csrf_token": csrf_token(client, page)})


def upload(client: FlaskClient, task: TaskInfo, item: str) -> Any:
    from io import BytesIO

    from workflows.autopilot import sample_pdf

    page = f"/tasks/{task.id}"
    return client.post(
        f"{page}/documents",
        data={
            "item": item,
            "file": (BytesIO(sample_pdf(item)), f"{item}.pdf"),
            "csrf_token": csrf_token(client, page),
        },
        content_type="multipart/form-data",
    )


def field_names(page: str) -> list[str]:
    names = re.findall(r'<div class="field[^"]*" data-field="([a-z_]+)"', page)
    return list(dict.fromkeys(names))


# 1. A yes/no question can be answered "No" -----------------------------------------------------
def test_a_consulted_agency_can_disagree(app: Flask, lifecycle: Lifecycle) -> None:
    draft = start(lifecycle)
    task = walk(lifecycle, draft, "_cns_reply")
    client = signed_in(app, "cv.stc")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'type="radio" name="agrees" value="true"' in page
    assert 'type="radio" name="agrees" value="false"' in page
    unanswered = submit(client, task, {"opinion": "Đề nghị bỏ Điều 5."})
    assert unanswered.status_code == 422  # neither yes nor no: the question must be answered
    done = submit(client, task, {"agrees": "false", "opinion": "Không thống nhất Điều 5."})
    assert done.status_code == 302
    replies = lifecycle.engine.submissions(draft.instance_id)
    assert any(s.data.get("agrees") is False for s in replies)


def test_signing_without_urgent_early_effect_needs_no_reason(
    app: Flask, lifecycle: Lifecycle
) -> None:
    draft = start(lifecycle)
    task = walk(lifecycle, draft, "_pub_sign")
    client = signed_in(app, "ct.ubnd")
    client.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf_token(client, "/inbox")})
    from engine import clock
    from workflows.calendar import vietnam_date

    today = vietnam_date(clock.now())
    effective = today.fromordinal(today.toordinal() + 15)
    assert upload(client, task, "van_ban_ky").status_code == 302
    answer = {"signed_on": today.isoformat(), "effective_on": effective.isoformat()}
    done = submit(client, task, {**answer, "urgent_effect": "false"})
    assert done.status_code == 302, done.get_data(as_text=True)


def test_a_condition_that_holds_for_a_missing_answer_is_refused_at_deploy(
    lifecycle: Lifecycle,
) -> None:
    files = model_files()
    signing = json.loads(files["signing.json"])
    del signing["allOf"][0]["if"]["required"]
    signing["required"].remove("urgent_effect")  # optional, and the condition not guarded
    files["signing.json"] = json.dumps(signing).encode()
    with pytest.raises(DeploymentError, match="urgent_effect also holds when"):
        lifecycle.engine.deploy(files, "owner")


# 2. Organisation fields are pickers of valid values ---------------------------------------------
def test_the_examining_committee_is_a_picker_of_the_councils_committees(
    app: Flask, lifecycle: Lifecycle
) -> None:
    draft = start(lifecycle, "nq_hdnd_tinh")
    task = walk(lifecycle, draft, "_exm_assign")
    client = signed_in(app, "tt.hdnd")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    select = re.search(r'<select id="f-examining_committee".*?</select>', page, re.S)
    assert select is not None
    assert re.findall(r'value="([A-Z_]+)"', select.group(0)) == ["BAN_PC", "BAN_KTNS"] or set(
        re.findall(r'value="([A-Z_]+)"', select.group(0))
    ) == {"BAN_PC", "BAN_KTNS"}
    for wrong in ("BAN_PC_TINH", "STP", "XA_A_BAN"):
        refused = submit(client, task, {"decision": "accept", "examining_committee": wrong})
        assert refused.status_code == 422, wrong
        assert "not one of the allowed choices" in refused.get_data(as_text=True)
    assert lifecycle.engine.task(task.id).state in ("open", "claimed")
    done = submit(client, task, {"decision": "accept", "examining_committee": "BAN_KTNS"})
    assert done.status_code == 302
    examine = open_step(lifecycle, draft, "_exm_examine")
    assert examine.organisation == "BAN_KTNS"


def test_no_step_is_opened_for_an_organisation_that_does_not_exist(
    app: Flask, lifecycle: Lifecycle
) -> None:
    draft = start(lifecycle, "nq_hdnd_tinh")
    task = walk(lifecycle, draft, "_exm_assign")
    with lifecycle.db.write() as session:
        committee = session.get(Organisation, "BAN_KTNS")
        assert committee is not None
        committee.active = False  # closed after the draft started
    client = signed_in(app, "tt.hdnd")
    refused = submit(client, task, {"decision": "accept", "examining_committee": "BAN_KTNS"})
    assert refused.status_code == 422
    assert "does not exist" in refused.get_data(as_text=True)
    assert lifecycle.engine.task(task.id).state in ("open", "claimed")  # nothing was saved


def test_an_administrator_reroutes_a_task_and_it_is_audited(
    app: Flask, lifecycle: Lifecycle
) -> None:
    draft = start(lifecycle, "nq_hdnd_tinh")
    walk(lifecycle, draft, "_exm_examine")
    task = open_step(lifecycle, draft, "_exm_examine")
    other = "BAN_KTNS" if task.organisation == "BAN_PC" else "BAN_PC"
    examiner = signed_in(app, "ban.pc" if other == "BAN_KTNS" else "ban.ktns")
    page = f"/tasks/{task.id}"
    refused = examiner.post(
        f"{page}/reroute",
        data={"organisation": other, "role": "examiner", "reason": "Chuyển Ban khác",
              "csrf_token": csrf_token(examiner, page)},
    )  # fmt: skip
    assert refused.status_code == 403
    admin = signed_in(app, "admin")
    assert "Re-route this task" in admin.get(page).get_data(as_text=True)
    no_reason = admin.post(
        f"{page}/reroute",
        data={"organisation": other, "role": "examiner", "csrf_token": csrf_token(admin, page)},
    )
    assert no_reason.status_code == 422
    moved = admin.post(
        f"{page}/reroute",
        data={"organisation": other, "role": "examiner", "reason": "Ban cũ đã giải thể",
              "csrf_token": csrf_token(admin, page)},
    )  # fmt: skip
    assert moved.status_code == 302
    assert lifecycle.engine.task(task.id).organisation == other
    event = lifecycle.engine.audit_events(draft.instance_id)[-1]
    assert event.action == "reroute" and event.data["reason"] == "Ban cũ đã giải thể"
    assert lifecycle.engine.verify_audit(draft.instance_id).ok


# 3. Fields in the order their author wrote --------------------------------------------------------
def test_form_fields_keep_the_order_of_their_schema(app: Flask, lifecycle: Lifecycle) -> None:
    draft = start(lifecycle)
    task = walk(lifecycle, draft, "_pub_sign")
    page = signed_in(app, "ct.ubnd").get(f"/tasks/{task.id}").get_data(as_text=True)
    written = list(json.loads((MODELS / "forms" / "signing.json").read_text())["properties"])
    assert field_names(page) == written  # signed_on, effective_on, urgent_effect, urgent_reason


# 4 and 5. Pre-filled only with the step's own answers; earlier answers readable ------------------
def test_a_form_is_not_prefilled_with_another_steps_answer(
    app: Flask, lifecycle: Lifecycle
) -> None:
    draft = start(lifecycle, "nq_hdnd_tinh")
    returned = {"done": False}

    def appraiser_returns_once(task: TaskInfo, info: Any, data: Mapping[str, Any]) -> Any:
        if task.element_id.endswith("_apr_check") and not returned["done"]:
            returned["done"] = True
            return {"decision": "return", "reason": "Thiếu bản thuyết minh chi tiết",
                    "missing_items": ["to_trinh"]}  # fmt: skip
        return None

    task = walk(lifecycle, draft, "_exm_assign", decide=appraiser_returns_once)
    assert returned["done"]
    page = signed_in(app, "tt.hdnd").get(f"/tasks/{task.id}").get_data(as_text=True)
    reason = re.search(r'<textarea id="f-reason"[^>]*>(.*?)</textarea>', page, re.S)
    assert reason is not None and reason.group(1).strip() == ""
    # ... but what the appraiser wrote is readable, under the appraiser's own form labels.
    assert "Thiếu bản thuyết minh chi tiết" in page
    assert "What earlier steps recorded" in page


def test_returned_work_comes_back_to_its_author_with_their_answers(
    app: Flask, lifecycle: Lifecycle
) -> None:
    draft = start(lifecycle)
    first = walk(lifecycle, draft, "_register")
    drafter = signed_in(app, "cv2.sxd")
    drafter.post(f"/tasks/{first.id}/claim", data={"csrf_token": csrf_token(drafter, "/inbox")})
    answer = {"necessity": "Cần thay thế quy định cũ", "main_content": "Vật liệu xây dựng"}
    assert submit(drafter, first, answer).status_code == 302
    approval = open_step(lifecycle, draft, "_approve_registration")
    chair = signed_in(app, "ct.ubnd")
    sent_back = submit(
        chair, approval, {"decision": "return", "reason": "Bổ sung đánh giá tác động"}
    )
    assert sent_back.status_code == 302
    again = open_step(lifecycle, draft, "_register")
    assert again.id != first.id
    assert again.state == "claimed" and again.assignee == "cv2.sxd"  # not the group queue
    page = drafter.get(f"/tasks/{again.id}").get_data(as_text=True)
    assert "Cần thay thế quy định cũ" in page  # its own earlier answer
    assert "Bổ sung đánh giá tác động" in page  # why it came back
    inbox = drafter.get("/inbox").get_data(as_text=True)
    assert f"/tasks/{again.id}" in inbox  # "my tasks", where the author looks first


def test_the_synthesis_step_shows_what_each_agency_answered(
    app: Flask, lifecycle: Lifecycle
) -> None:
    draft = start(lifecycle)

    def stc_disagrees(task: TaskInfo, info: Any, data: Mapping[str, Any]) -> Any:
        if task.element_id.endswith("_cns_reply"):
            return {"agrees": False, "opinion": "Không thống nhất mức phí tại Điều 3."}
        return None

    task = walk(lifecycle, draft, "_cns_synthesis", decide=stc_disagrees)
    page = signed_in(app, "cv.sxd").get(f"/tasks/{task.id}").get_data(as_text=True)
    earlier = page[page.index('id="earlier"') :]
    assert "Không thống nhất mức phí tại Điều 3." in earlier
    assert re.search(
        r"</dt><dd>No</dd>", earlier
    )  # the agency's "agrees: false", as people read it
    draft_page = signed_in(app, "cv.sxd").get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert "Không thống nhất mức phí tại Điều 3." in draft_page


# 7. Impossible input is refused before anything completes ----------------------------------------
def test_more_votes_than_deputies_is_refused_next_to_the_fields(
    app: Flask, lifecycle: Lifecycle
) -> None:
    draft = start(lifecycle, "nq_hdnd_tinh")
    task = walk(lifecycle, draft, "_adp_vote")
    client = signed_in(app, "cv.vphdnd")
    from engine import clock
    from workflows.calendar import vietnam_date

    today = vietnam_date(clock.now()).isoformat()
    votes = {"session_date": today, "deputies_total": "50", "deputies_for": "60"}
    refused = submit(client, task, {**votes, "deputies_against": "0"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    field = page[page.index('data-field="deputies_for"') :]
    assert 'class="field-error"' in field[: field.index("</div>")]
    assert 'value="60"' in page  # what was typed is kept
    assert lifecycle.engine.task(task.id).state in ("open", "claimed")
    assert open_step(lifecycle, draft, "_adp_vote").id == task.id  # not silently re-created
    done = submit(client, task, {**votes, "deputies_for": "44", "deputies_against": "3"})
    assert done.status_code == 302


def test_a_step_the_model_would_send_straight_back_is_not_completed(
    app: Flask, lifecycle: Lifecycle
) -> None:
    """Without the form's rule the model's own check still must not be a silent loop."""
    files = model_files()
    vote = json.loads(files["session_vote.json"])
    del vote["x-rules"]
    files["session_vote.json"] = json.dumps(vote, ensure_ascii=False).encode()
    lifecycle.engine.deploy(files, "owner")
    draft = start(lifecycle, "nq_hdnd_tinh", deploy=False)
    task = walk(lifecycle, draft, "_adp_vote")
    client = signed_in(app, "cv.vphdnd")
    from engine import clock
    from workflows.calendar import vietnam_date

    today = vietnam_date(clock.now()).isoformat()
    refused = submit(
        client, task, {"session_date": today, "deputies_total": "50", "deputies_for": "60"}
    )
    assert refused.status_code == 422
    assert "sends this step straight back" in refused.get_data(as_text=True)
    assert open_step(lifecycle, draft, "_adp_vote").id == task.id


# 8. Small things -----------------------------------------------------------------------------------
def test_the_inbox_opens_on_offered_work_when_nothing_is_ones_own(
    app: Flask, lifecycle: Lifecycle
) -> None:
    draft = start(lifecycle)
    task = walk(lifecycle, draft, "_register")
    client = signed_in(app, "cv2.sxd")
    page = client.get("/inbox").get_data(as_text=True)
    assert f"/tasks/{task.id}" in page
    assert re.search(r'class="tab active"[^>]*data-tab="offered"', page)
    assert f"/tasks/{task.id}" in client.get("/inbox?lead_agency=sxd&tab=offered").get_data(
        as_text=True
    )


def test_the_audit_list_reads_as_sentences(app: Flask, lifecycle: Lifecycle) -> None:
    draft = start(lifecycle)
    walk(lifecycle, draft, "_approve_registration")
    page = signed_in(app, "cv.sxd").get(f"/drafts/{draft.id}").get_data(as_text=True)
    audit = page[page.index('id="audit"') :]
    assert "Step completed" in audit and "Process started" in audit
    assert "<td>complete" not in audit


def test_publication_records_the_date_entered_and_impact_reports_their_author(
    app: Flask, lifecycle: Lifecycle
) -> None:
    from engine import clock
    from workflows.calendar import vietnam_date

    draft = start(lifecycle)
    task = walk(lifecycle, draft, "_pub_send_ubnd")
    signed = vietnam_date(clock.now())  # the autopilot signed today
    clock.advance(timedelta(days=3))  # the office sends it on the day after, enters it later
    sent = signed + timedelta(days=1)
    client = signed_in(app, "cv.vpubnd")
    done = submit(client, task, {"sent_on": sent.isoformat(), "gazette_reference": "CB-12"})
    assert done.status_code == 302, done.get_data(as_text=True)
    with lifecycle.db.read() as session:
        assert session.get(Draft, draft.id).published_on == sent  # type: ignore[union-attr]
    # The draft now waits for its effective date: the draft page says so.
    page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert 'id="waiting"' in page


def test_an_impact_report_is_credited_to_its_author_for_the_period_reported(
    app: Flask, lifecycle: Lifecycle
) -> None:
    draft = start(lifecycle)
    task = monitoring_step(lifecycle, draft, "_mon_report")
    client = signed_in(app, "cv.sxd")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert re.search(r'name="report_period"[^>]*value="\d{4}-H[12]"', page)  # explicit default
    done = submit(
        client,
        task,
        {"report_period": "2025-H2", "impact": "unclear", "report_summary": "Chưa rõ tác động"},
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    with lifecycle.db.read() as session:
        from sqlalchemy import select

        latest = session.execute(
            select(ImpactAssessment).order_by(ImpactAssessment.id.desc()).limit(1)
        ).scalar_one()
    assert (latest.assessed_by, latest.period, latest.impact) == ("cv.sxd", "2025-H2", "unclear")
