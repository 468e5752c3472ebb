"""``completed_step`` says exactly what ``human_task`` says, through a draft's whole story.

A task completed through the API gets its row in the same transaction, with the draft's
facts and the Vietnamese days; a task cancelled (the draft cancelled) gets none and the
completed one stays; an instance migrated to a new version of its model moves its rows to
the new definition, as the join over ``human_task`` did; and :func:`refill` rebuilds the
same rows from the task rows. (The figures over the demo: tests/test_dashboards.py.)
"""

from __future__ import annotations

import io

import pytest
from flask import Flask
from sqlalchemy import select

from engine.models import HumanTask
from tests.conftest import read_model
from tests.support.openapi import (
    ApiClient,
    api_fixture,  # noqa: F401
    deployed_fixture,  # noqa: F401
    new_draft,
    open_task,
)
from workflows import draft_admin
from workflows.calendar import vietnam_date
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle
from workflows.step_times import CompletedStep, refill

pytestmark = pytest.mark.usefixtures("deployed")
PDF = b"%PDF-1.7\n%%EOF\n"


def _rows(lifecycle: Lifecycle) -> list[tuple]:
    with lifecycle.db.read() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(CompletedStep.__table__).order_by(CompletedStep.task_id)
            ).all()
        ]


def test_a_completed_task_has_its_row_and_follows_its_instance(
    app: Flask, api: ApiClient, lifecycle: Lifecycle
) -> None:
    draft = new_draft(api)
    instance_id = draft["instance_id"]
    task = open_task(api, "cv.sxd", instance_id)
    form = {"item": "to_trinh", "file": (io.BytesIO(PDF), "to-trinh.pdf")}
    assert api.as_user("cv.sxd").post(f"/drafts/{draft['id']}/documents", data=form).status_code
    done = api.as_user("cv.sxd").post(
        f"/tasks/{task['id']}/complete", json={"data": {"summary": "Tóm tắt"}}
    )
    assert done.status_code == 200, done.get_json()
    first = lifecycle.engine.instance(instance_id).definition_id
    with lifecycle.db.read() as session:
        row = session.get(HumanTask, task["id"])
        facts = session.execute(
            select(Draft.document_type, Draft.procedure, Draft.lead_agency).where(
                Draft.id == draft["id"]
            )
        ).one()
    assert row is not None and row.state == "completed" and row.completed_at is not None
    expected = (
        task["id"], instance_id, "Task_draft", first, *facts,
        vietnam_date(row.created_at), vietnam_date(row.completed_at),
    )  # fmt: skip
    assert _rows(lifecycle) == [expected]

    # A new version of the model: the migrated instance's rows name it.
    model = read_model("api_qd_ubnd_tinh.bpmn").replace(b"Check the draft", b"Check it again")
    [second] = lifecycle.engine.deploy({"api_qd_ubnd_tinh.bpmn": model}, "owner")
    report = lifecycle.engine.migrate(instance_id, second.id, actor=lifecycle.engine.actor("admin"))
    assert report.possible and second.id != first
    assert _rows(lifecycle) == [(*expected[:3], second.id, *expected[4:])]

    # Cancelled: the open step closes without a row; the completed one stays.
    with lifecycle.db.write() as session:
        row = session.get(Draft, draft["id"])
        admin = lifecycle.engine.actor("admin")
        draft_admin.cancel_draft(session, lifecycle.engine, admin, row, "Trùng với dự thảo khác")
    assert lifecycle.engine.task(open_task_id(lifecycle, instance_id)).state == "cancelled"
    kept = _rows(lifecycle)
    assert kept == [(*expected[:3], second.id, *expected[4:])]
    with lifecycle.db.write() as session:
        assert refill(session) == 1
    assert _rows(lifecycle) == kept


def open_task_id(lifecycle: Lifecycle, instance_id: int) -> str:
    """The instance's task that was open when the draft was cancelled."""
    with lifecycle.db.read() as session:
        return session.execute(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.spec_id == "Task_check"
            )
        ).scalar_one()
