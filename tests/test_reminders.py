"""Reminders before a due date and escalations after it, on the working days of the policy."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import TaskQuery
from tests.conftest import read_model
from tests.support.drafts import start_draft
from web.i18n import compile_catalogues
from web.mail import catalogue_translations
from workflows.calendar import VIETNAM_TZ
from workflows.notifications import Notification
from workflows.notifications.kinds import render
from workflows.reminders import PolicyProblem, PolicyValues, save_policy, send_due_reminders
from workflows.reminders.due_scan import due_day


def translation(folder: Path, language: str):
    """The compiled catalogue's lookup, as the outbox writes each e-mail."""
    return catalogue_translations(compile_catalogues(folder))(language)


def _at(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=VIETNAM_TZ)


def _report_due_on(lifecycle, day: date, assignee: str | None = None) -> str:
    engine = lifecycle.engine
    engine.deploy({"due_task.bpmn": read_model("due_task.bpmn")}, "owner")
    info = engine.start(
        "due_task", actor=engine.actor("cv.sxd"), data={"org": "SXD", "due_on": day.isoformat()}
    )
    (task,) = engine.tasks(TaskQuery(instance_id=info.id))
    if assignee:
        engine.claim(task.id, engine.actor(assignee))
    return task.id


def _keys(lifecycle, task_id: str) -> list[tuple[str, str]]:
    """(recipient, period) of the task's notifications, in the order they were created."""
    with lifecycle.db.read() as session:
        rows = session.execute(
            select(Notification.recipient, Notification.period)
            .where(
                Notification.task_id == task_id,
                Notification.kind.in_(("reminder", "escalation")),
            )
            .order_by(Notification.id)
        ).all()
    return [(r, k) for r, k in rows]


def _scan(lifecycle, day: date, hour: int = 8) -> int:
    return send_due_reminders(lifecycle.db, lifecycle.calendar, _at(day, hour)).created


def test_reminders_skip_the_tet_break_and_escalate_on_working_days(lifecycle) -> None:
    """Due Monday 23/2/2026, the first working day after the Tết break (14-22/2)."""
    task_id = _report_due_on(lifecycle, date(2026, 2, 23), assignee="cv.sxd")
    assert _scan(lifecycle, date(2026, 2, 11)) == 0  # three working days before: too early
    assert _scan(lifecycle, date(2026, 2, 12)) == 1  # two working days before (13/2, 23/2)
    assert _keys(lifecycle, task_id) == [("cv.sxd", "before")]
    for quiet in (date(2026, 2, 13), date(2026, 2, 18), date(2026, 2, 22)):
        assert _scan(lifecycle, quiet) == 0, quiet  # once only; nothing during the break
    assert _scan(lifecycle, date(2026, 2, 23)) == 1
    assert _keys(lifecycle, task_id)[-1] == ("cv.sxd", "due")
    assert _scan(lifecycle, date(2026, 2, 24)) == 2  # one working day late: head + holder
    assert sorted(_keys(lifecycle, task_id)[-2:]) == [("cv.sxd", "head:0"), ("gd.sxd", "head:0")]
    # 2/3 is five working days late (24, 25, 26, 27/2, 2/3): the office level
    for day in (date(2026, 2, 25), date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)):
        assert _scan(lifecycle, day) == 0, day
    assert _scan(lifecycle, date(2026, 3, 2)) == 2
    assert sorted(k for _, k in _keys(lifecycle, task_id)[-2:]) == ["office:0", "office:0"]
    # every five working days after that, again: 9/3 (3, 4, 5, 6, 9/3)
    assert _scan(lifecycle, date(2026, 3, 6)) == 0
    assert _scan(lifecycle, date(2026, 3, 9)) == 2
    assert {k for _, k in _keys(lifecycle, task_id)[-2:]} == {"office:1"}


def test_a_working_saturday_counts_and_an_unclaimed_task_reminds_its_role(lifecycle) -> None:
    """Due Monday 12/1/2026; Saturday 10/1/2026 is worked (the New Year swap)."""
    with lifecycle.db.write() as session:
        save_policy(
            session,
            lifecycle.engine.actor("admin"),
            "due_task",
            "",
            PolicyValues(remind_days_before=1, escalate_head_after=1, escalate_office_after=None),
            known_types={"due_task"},
        )
    task_id = _report_due_on(lifecycle, date(2026, 1, 12))
    assert _scan(lifecycle, date(2026, 1, 9)) == 0  # Friday: two working days before
    assert _scan(lifecycle, date(2026, 1, 10)) == 2  # the working Saturday: both drafters
    assert _keys(lifecycle, task_id) == [("cv.sxd", "before"), ("cv2.sxd", "before")]
    assert _scan(lifecycle, date(2026, 1, 11)) == 0  # Sunday
    _scan(lifecycle, date(2026, 1, 12))
    assert _scan(lifecycle, date(2026, 1, 13)) == 3  # drafters and their head
    assert _scan(lifecycle, date(2026, 1, 20)) == 3  # repeated: five working days later


def test_running_the_job_again_or_in_parallel_creates_nothing_twice(lifecycle) -> None:
    task_id = _report_due_on(lifecycle, date(2026, 5, 4), assignee="cv.sxd")
    late = date(2026, 5, 5)
    first = _scan(lifecycle, late)
    assert first == 2
    assert _scan(lifecycle, late, hour=15) == 0  # later the same day, or after a restart
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        again = list(pool.map(lambda _: _scan(lifecycle, late, hour=16), range(4)))
    assert again == [0, 0, 0, 0]
    assert len(_keys(lifecycle, task_id)) == 2


def test_a_policy_for_a_step_wins_over_the_default_and_off_means_off(lifecycle) -> None:
    with lifecycle.db.write() as session:
        save_policy(
            session,
            lifecycle.engine.actor("admin"),
            "",
            "Task_report",
            PolicyValues(
                remind_days_before=0,
                remind_on_due=False,
                escalate_head_after=None,
                escalate_office_after=None,
                repeat_every=None,
            ),
            known_types={"due_task"},
        )
    task_id = _report_due_on(lifecycle, date(2026, 5, 4), assignee="cv.sxd")
    for day in (date(2026, 4, 29), date(2026, 5, 4), date(2026, 5, 5), date(2026, 6, 1)):
        assert _scan(lifecycle, day) == 0
    assert _keys(lifecycle, task_id) == []


def test_escalation_names_the_draft_and_reaches_the_office(lifecycle, tmp_path: Path) -> None:
    draft = start_draft(lifecycle)
    engine = lifecycle.engine
    (task,) = engine.tasks(TaskQuery(instance_id=draft.instance_id, states=("open", "claimed")))
    assert task.due_at is not None
    cal = lifecycle.calendar()
    day = due_day(task.due_at)
    office_day = cal.add_working_days(day, 5)
    assert _scan(lifecycle, office_day) >= 2
    with lifecycle.db.read() as session:
        rows = list(
            session.execute(
                select(Notification).where(
                    Notification.task_id == task.id, Notification.kind == "escalation"
                )
            ).scalars()
        )
    recipients = {row.recipient for row in rows}
    assert {"gd.sxd", "cv.vpubnd"} <= recipients
    assert all(row.draft_id == draft.id for row in rows)
    for language in ("vi", "en"):
        text = render(rows[0].kind, rows[0].params, language)
        assert draft.code in text.subject and day.strftime("%d/%m/%Y") in text.text
        assert task.title in text.text or (task.title_en or task.title) in text.text
    vietnamese = render(rows[0].kind, rows[0].params, "vi", translation(tmp_path, "vi"))
    assert "vẫn chưa xong" in vietnamese.text, vietnamese.text


def test_done_tasks_get_nothing(lifecycle) -> None:
    task_id = _report_due_on(lifecycle, date(2026, 5, 4), assignee="cv.sxd")
    lifecycle.engine.complete(task_id, lifecycle.engine.actor("cv.sxd"), {})
    assert _scan(lifecycle, date(2026, 5, 4)) == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (PolicyValues(remind_days_before=-1), "remind_days_before"),
        (PolicyValues(remind_days_before=61), "remind_days_before"),
        (PolicyValues(escalate_head_after=5, escalate_office_after=3), "escalate_office_after"),
        (PolicyValues(repeat_every=0), "repeat_every"),
    ],
)
def test_a_wrong_policy_is_refused_field_by_field(lifecycle, values, field) -> None:
    with lifecycle.db.write() as session, pytest.raises(PolicyProblem) as refused:
        save_policy(session, lifecycle.engine.actor("admin"), "", "", values, known_types=set())
    assert field in refused.value.problems


def test_an_unknown_document_type_is_refused(lifecycle) -> None:
    with lifecycle.db.write() as session, pytest.raises(PolicyProblem) as refused:
        save_policy(
            session,
            lifecycle.engine.actor("admin"),
            "nq_khong_co",
            "",
            PolicyValues(),
            known_types={"nq_hdnd_tinh"},
        )
    assert "document_type" in refused.value.problems


def test_a_step_requiring_an_unknown_dossier_item_is_refused_by_lint(lifecycle) -> None:
    """A code that is no dossier item could never be present: the step could never finish."""
    xml = read_model("due_task.bpmn").replace(
        b'<spiffworkflow:property name="dueDate" value="due_on"/>',
        b'<spiffworkflow:property name="dueDate" value="due_on"/>'
        b'<spiffworkflow:property name="requiredDocuments" value="du_thao,bao_cao_gi_do"/>',
    )
    problems = lifecycle.engine.lint({"due_task.bpmn": xml})
    found = [p for p in problems if p.rule == "lexflow/required-documents"]
    assert [(p.element_id, p.severity) for p in found] == [("Task_report", "error")]
    assert str(found[0].message).startswith("requiredDocuments names 'bao_cao_gi_do'")
