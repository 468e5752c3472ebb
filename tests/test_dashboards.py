"""The leaders' dashboards show what a direct count over the demo province gives.

The demo is loaded once per test run (on SQLite, as ``make demo`` does; it is slow), as of
a working Saturday, and every request runs at that moment. The tests of figures also run on
PostgreSQL (``either_demo``): the loaded rows are copied there, which takes seconds, so the
SQL that counts (dates in Vietnam's time zone, ``CASE`` over joins) is checked on both.
The figures are compared with
counts made here straight from the tables (and with :func:`workflows.plan.plan_status`,
which the plan page uses): the seeds' 8 items behind plan and the registry's 164/6/1; the
XLSX export has the same numbers; filters in the URL change them; a drafter gets 403 and an
agency head sees only their agency.
"""

from __future__ import annotations

import io
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from alembic import command
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import Database, clock
from engine.models import OPEN_STATES, AuditEvent, HumanTask, ProcessInstance
from engine.schema import alembic_config
from tests.support.databases import DatabaseFactory, copy_rows
from tests.support.days import TRICKY_MOMENTS
from tests.support.demo import demo_at
from tests.support.web import signed_in
from workflows.calendar import CalendarException, WorkingCalendar, vietnam_date
from workflows.deadlines import rules_snapshot
from workflows.demo import DEFAULT_PASSWORD
from workflows.drafts import COMMUNE_TYPES, Draft
from workflows.lifecycle import Lifecycle
from workflows.notifications import Notification, OutboxMessage, render, role_holders
from workflows.plan import plan_status
from workflows.registry import impact_summary
from workflows.reports.access import DashboardScope
from workflows.reports.figures import Filters, heat_class, task_figures
from workflows.reports.plan_watch import BackwardPlanner, notify_infeasible_plans
from workflows.reports.schedule import FIRST_REMAINING, plan_backwards
from workflows.reports.steps import StepCatalog
from workflows.search import fold
from workflows.step_times import CompletedStep, refill

NOW = TRICKY_MOMENTS["working-saturday"]
DEMO = demo_at(NOW)

pytestmark = pytest.mark.shared_database(DEMO)


@pytest.fixture(scope="module")
def demo(database_factory: DatabaseFactory) -> tuple[Lifecycle, Flask]:
    """The demo loaded as of NOW: once per run (every xdist worker reads a copy)."""
    from web import create_app

    url, _ = database_factory.shared_sqlite(DEMO)
    lifecycle = Lifecycle(Database(url))
    app = create_app(
        {
            "DATABASE_URL": lifecycle.db.url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "SCHEDULER_ENABLED": False,
        }
    )
    app.extensions["lexflow"] = lifecycle
    return lifecycle, app


@pytest.fixture(scope="module")
def pg_demo(
    demo: tuple[Lifecycle, Flask],
    request: pytest.FixtureRequest,
    database_factory: DatabaseFactory,
) -> Iterator[tuple[Lifecycle, Flask]]:
    """The same demo on PostgreSQL (its rows copied from the SQLite one)."""
    from web import create_app

    if database_factory.postgres is None:
        database_factory.postgres = request.getfixturevalue("postgres_server")
    url = database_factory.postgresql()
    lifecycle = Lifecycle(Database(url))
    copy_rows(demo[0].db, lifecycle.db)
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "test-secret", "TESTING": True,
         "SCHEDULER_ENABLED": False}
    )  # fmt: skip
    app.extensions["lexflow"] = lifecycle
    yield lifecycle, app
    lifecycle.db.dispose()
    database_factory.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def either_demo(request: pytest.FixtureRequest) -> tuple[Lifecycle, Flask]:
    return request.getfixturevalue("demo" if request.param == "sqlite" else "pg_demo")


@pytest.fixture(autouse=True)
def at_demo_moment() -> Iterator[datetime]:
    with clock.frozen_at(NOW) as moment:
        yield moment


_CLIENTS: dict[tuple[int, str], FlaskClient] = {}


def client(demo: tuple[Lifecycle, Flask], username: str) -> FlaskClient:
    """One signed-in client per user for the module (signing in hashes a password: slow)."""
    key = (id(demo[1]), username)
    if key not in _CLIENTS:
        _CLIENTS[key] = signed_in(demo[1], username, DEFAULT_PASSWORD)
    return _CLIENTS[key]


YEAR = vietnam_date(NOW).year


def cells(html: str, row_attr: str, key: str) -> dict[str, int]:
    """``{data-state: n}`` of the table row whose ``row_attr`` is ``key``."""
    row = re.search(rf'<tr {row_attr}="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert row, f"no row {row_attr}={key}"
    return {
        state: int(n)
        for state, n in re.findall(r'data-state="(\w+)">(?:<a[^>]*>)?(\d+)', row.group(1))
    }


def values(html: str, attr: str) -> dict[str, tuple[int, ...]]:
    """``{data-attr: (numbers of the row)}`` of every row with ``attr``."""
    return {
        key: tuple(int(n) for n in re.findall(r'<td class="num">(\d+)', body))
        for key, body in re.findall(rf'<tr data-{attr}="([^"]*)">(.*?)</tr>', html, re.S)
    }


def test_plan_dashboard_counts_equal_the_plan(either_demo: tuple[Lifecycle, Flask]) -> None:
    lifecycle, _ = either_demo
    with lifecycle.db.read() as session:
        statuses = plan_status(session, YEAR, NOW)
    expected = Counter(row.state for row in statuses)
    by_agency = Counter((row.item.lead_agency, row.state) for row in statuses)
    assert expected["behind"] == 8
    page = client(either_demo, "ct.ubnd").get(f"/dashboards/plan?year={YEAR}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "<script" not in html.split("<main", 1)[-1].split("</main>")[0]
    totals = cells(html, "data-agency", "")
    assert totals == {s: expected[s] for s in totals}
    for agency in {row.item.lead_agency for row in statuses}:
        assert cells(html, "data-agency", agency) == {s: by_agency[(agency, s)] for s in totals}
    assert "a step is past its deadline" in html

    drill = client(either_demo, "ct.ubnd").get(f"/dashboards/plan?year={YEAR}&state=behind")
    rows = re.findall(r'<tr data-state="(\w+)">', drill.get_data(as_text=True))
    assert rows == ["behind"] * 8
    assert 'href="/drafts/' in drill.get_data(as_text=True)

    # The plan page counts and pages in SQL: the same states, one page of the filtered items.
    listed = client(either_demo, "ct.ubnd").get(f"/plan?year={YEAR}").get_data(as_text=True)
    tabs = dict(re.findall(r'data-state="(\w+)">\s*[^<]*<span class="count">(\d+)', listed))
    assert {s: int(n) for s, n in tabs.items()} == {s: expected[s] for s in tabs}
    behind = client(either_demo, "ct.ubnd").get(f"/plan?year={YEAR}&state=behind&page=1")
    items = re.findall(r'data-plan-item="(\d+)" data-state="(\w+)"', behind.get_data(as_text=True))
    assert sorted(int(i) for i, _ in items) == sorted(
        row.item.id for row in statuses if row.state == "behind"
    )
    one = next(row for row in statuses if row.draft is not None)
    found = client(either_demo, "ct.ubnd").get(f"/plan?year={YEAR}&q={one.draft.code.lower()}")
    assert f'data-plan-item="{one.item.id}"' in found.get_data(as_text=True)
    unaccented = fold(one.item.title).upper()  # typed without accents, in capitals
    found = client(either_demo, "ct.ubnd").get(
        "/plan", query_string={"year": YEAR, "q": unaccented}
    )
    assert f'data-plan-item="{one.item.id}"' in found.get_data(as_text=True)


def test_xlsx_export_has_the_page_numbers(demo: tuple[Lifecycle, Flask]) -> None:
    response = client(demo, "tdv.stp").get(f"/dashboards/plan.xlsx?year={YEAR}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    total = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "Total")
    assert total[header.index("Behind plan")] == 8
    items = list(book.worksheets[2].iter_rows(values_only=True))[1:]
    assert sum(1 for row in items if row[6] == "Behind plan") == 8

    registry = client(demo, "tdv.stp").get("/dashboards/registry.xlsx")
    counts = dict(
        load_workbook(io.BytesIO(registry.data)).worksheets[0].iter_rows(values_only=True)
    )
    assert (counts["Clear effect"], counts["Unclear effect"], counts["No effect yet"]) == (
        164,
        6,
        1,
    )
    assert counts["Total in force"] == 171


def test_registry_dashboard_counts_equal_the_registry(either_demo: tuple[Lifecycle, Flask]) -> None:
    lifecycle, _ = either_demo
    with lifecycle.db.read() as session:
        summary = impact_summary(session, today=vietnam_date(NOW))
        resolutions = impact_summary(session, "nq_hdnd_tinh", today=vietnam_date(NOW))
    assert (summary.in_force, summary.clear, summary.unclear, summary.not_yet) == (171, 164, 6, 1)
    html = client(either_demo, "tt.hdnd").get("/dashboards/registry").get_data(as_text=True)
    impact = values(html, "impact")
    assert impact["clear"] == (164,) and impact["unclear"] == (6,) and impact["not_yet"] == (1,)
    assert impact["total"] == (171,)
    assert values(html, "status")["in_force"] == (171,)
    filtered = client(either_demo, "tt.hdnd").get("/dashboards/registry?document_type=nq_hdnd_tinh")
    impact = values(filtered.get_data(as_text=True), "impact")
    assert impact["total"] == (resolutions.in_force,)
    assert impact["clear"] == (resolutions.clear,)


def test_task_dashboard_counts_equal_the_task_rows(either_demo: tuple[Lifecycle, Flask]) -> None:
    lifecycle, _ = either_demo
    with lifecycle.db.read() as session:
        open_rows = session.execute(
            select(HumanTask.organisation, HumanTask.due_at, Draft.document_type)
            .join(Draft, Draft.instance_id == HumanTask.instance_id)
            .where(HumanTask.state.in_(OPEN_STATES))
        ).all()
        completed = session.execute(
            select(func.count())
            .select_from(HumanTask)
            .join(Draft, Draft.instance_id == HumanTask.instance_id)
            .where(HumanTask.state == "completed")
        ).scalar_one()
    html = client(either_demo, "admin").get(f"/dashboards/tasks?year={YEAR}").get_data(as_text=True)
    shown = values(html, "agency")
    for org in {row.organisation for row in open_rows}:
        mine = [row for row in open_rows if row.organisation == org]
        late = [row for row in mine if row.due_at is not None and clock.as_utc(row.due_at) < NOW]
        assert shown[org] == (len(mine), len(late))
    times = values(html, "step")
    assert completed > 0 and times  # open steps (3 numbers: open, overdue) and step times
    assert "<svg" in html

    commune = client(either_demo, "admin").get(f"/dashboards/tasks?year={YEAR}&level=commune")
    shown = values(commune.get_data(as_text=True), "agency")
    expected = Counter(r.organisation for r in open_rows if r.document_type.endswith("_xa"))
    assert {org: n[0] for org, n in shown.items()} == dict(expected)


def test_who_reads_the_dashboards(demo: tuple[Lifecycle, Flask]) -> None:
    assert client(demo, "cv.sxd").get("/dashboards/plan").status_code == 403
    assert client(demo, "cv.sxd").get("/dashboards/plan.xlsx").status_code == 403
    head = client(demo, "gd.sxd").get(f"/dashboards/plan?year={YEAR}").get_data(as_text=True)
    agencies = set(re.findall(r'<tr data-agency="(\w+)">', head))
    assert agencies == {"SXD"}


def test_bad_filters_are_400(demo: tuple[Lifecycle, Flask]) -> None:
    reader = client(demo, "ct.ubnd")
    assert reader.get("/dashboards/plan?year=abc").status_code == 400
    assert reader.get("/dashboards/tasks?from=31/12/2026").status_code == 400
    assert reader.get("/dashboards/registry?level=district").status_code == 400


def test_draft_page_shows_the_backward_plan(demo: tuple[Lifecycle, Flask]) -> None:
    lifecycle, _ = demo
    with lifecycle.db.read() as session:
        draft = session.execute(
            select(Draft)
            .where(Draft.status == "active", Draft.target_date.is_not(None))
            .where(Draft.stage.in_(("drafting", "consultation", "appraisal")))
            .order_by(Draft.id)
            .limit(1)
        ).scalar_one()
        rules = rules_snapshot(session, draft.document_type, draft.rules_as_of)
        expected = plan_backwards(
            lifecycle.calendar(),
            rules[draft.procedure or "normal"],
            draft.document_type,
            draft.stage,
            draft.target_date,
            vietnam_date(NOW),
        )
    html = client(demo, "ct.ubnd").get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert f'data-slack="{expected.slack}"' in html
    starts = re.findall(r'data-latest-start="([\d-]+)"', html)
    assert starts == [s.latest_start.isoformat() for s in expected.steps]
    assert starts


def test_dossier_summary_docx(demo: tuple[Lifecycle, Flask]) -> None:
    lifecycle, _ = demo
    with lifecycle.db.read() as session:
        draft = session.execute(
            select(Draft).where(Draft.instance_id.is_not(None)).order_by(Draft.id).limit(1)
        ).scalar_one()
        steps = session.execute(
            select(func.count()).where(HumanTask.instance_id == draft.instance_id)
        ).scalar_one()
    response = client(demo, "ct.ubnd").get(f"/drafts/{draft.id}/summary.docx")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and draft.code in text
    assert len(document.tables[1].rows) == steps + 1  # a row per step under the header
    with lifecycle.db.read() as session:
        logged = session.execute(
            select(func.count()).where(AuditEvent.action == "dossier_summary_exported")
        ).scalar_one()
    assert logged >= 1


def test_step_times_name_steps_in_english_and_take_limits_from_the_rule_table(
    demo: tuple[Lifecycle, Flask],
) -> None:
    lifecycle, _ = demo
    with lifecycle.db.read() as session:
        task = session.execute(
            select(HumanTask.id, Draft.document_type, Draft.procedure)
            .join(Draft, Draft.instance_id == HumanTask.instance_id)
            .where(HumanTask.spec_id == "Task_drf_draft", HumanTask.state == "completed")
            .limit(1)
        ).one()
        info = lifecycle.engine.user_task_info(task.id, session=session)
        rule = rules_snapshot(session, task.document_type, vietnam_date(NOW))[
            task.procedure or "normal"
        ]["drafting"]
    assert info is not None and info.name_en and info.due_expr == 'deadline("drafting")'
    page = client(demo, "admin").get(
        f"/dashboards/tasks?year={YEAR}", headers={"Accept-Language": "en"}
    )
    html = page.get_data(as_text=True)
    rows = dict(
        (spec, (name, rule_step, limit))
        for spec, name, rule_step, limit in re.findall(
            r'<tr data-step="(\w+)"><th scope="row">([^<]*)</th>(?:<td class="num">[\d.]+</td>){3}'
            r'<td data-rule="(\w*)">[^<]*</td><td data-limit="(\d*)">',
            html,
        )
    )
    assert rows["Task_drf_draft"] == (info.name_en, "drafting", str(rule["amount"]))
    assert rows["Task_drf_approve"][1:] == ("", "")  # its model names no deadline rule


def test_plan_list_shows_slack_and_an_infeasible_plan_is_told_once(
    demo: tuple[Lifecycle, Flask],
) -> None:
    lifecycle, _ = demo
    today = vietnam_date(NOW)
    with lifecycle.db.read() as session:
        planner = BackwardPlanner(session, lifecycle.calendar(), today)
        candidates = session.execute(
            select(Draft)
            .where(Draft.status == "active", Draft.target_date > today)
            .where(Draft.stage.in_(sorted(FIRST_REMAINING)), Draft.plan_item_id.is_not(None))
            .order_by(Draft.id)
        ).scalars()
        draft, plan = next((d, p) for d in candidates if (p := planner.for_draft(d)) and p.steps)
        heads = role_holders(session, "agency_head", draft.lead_agency)
    assert heads
    html = client(demo, "ct.ubnd").get(f"/plan?year={draft.plan_year}&q={draft.code}")
    assert f'data-slack="{plan.slack}"' in html.get_data(as_text=True)

    # The day after the first remaining step had to start, the plan is infeasible.
    late = plan.steps[0].latest_start + timedelta(days=1)
    while not lifecycle.calendar().is_working_day(late):
        late += timedelta(days=1)
    assert late < draft.target_date
    with lifecycle.db.write() as session:
        assert notify_infeasible_plans(session, lifecycle.calendar(), late) > 0
    with lifecycle.db.write() as session:
        assert notify_infeasible_plans(session, lifecycle.calendar(), late) == 0  # once
    with lifecycle.db.read() as session:
        told = session.execute(
            select(Notification).where(
                Notification.kind == "plan_infeasible", Notification.draft_id == draft.id
            )
        ).scalars()
        told = list(told)
        immediate = [n.id for n in told if n.delivery == "immediate"]
        queued = session.execute(
            select(func.count()).where(OutboxMessage.notification_id.in_(immediate))
        ).scalar_one()
    by_recipient = Counter(n.recipient for n in told)
    assert all(by_recipient[head] == 1 for head in heads)
    assert queued == len(immediate)  # e-mailed through the outbox to whoever has an address
    text = render("plan_infeasible", next(iter(told_params(lifecycle, draft.id))), "en").text
    assert draft.code in text and "working days behind" in text


def told_params(lifecycle: Lifecycle, draft_id: int) -> list[dict]:
    with lifecycle.db.read() as session:
        return [
            n.params
            for n in session.execute(
                select(Notification).where(
                    Notification.kind == "plan_infeasible", Notification.draft_id == draft_id
                )
            ).scalars()
        ]


def pdf_text(content: bytes) -> str:
    """The PDF's text, spaces and line breaks folded to single spaces."""
    return " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split()
    )


def test_standard_documents_as_docx_and_pdf(demo: tuple[Lifecycle, Flask]) -> None:
    lifecycle, _ = demo
    with lifecycle.db.read() as session:
        appraised = [
            (draft, s.data)
            for draft in session.execute(
                select(Draft).where(Draft.instance_id.is_not(None)).order_by(Draft.id)
            ).scalars()
            for s in lifecycle.engine.submissions(draft.instance_id, session=session)
            if "appraisal_result" in s.data
        ]
    draft, data = appraised[-1]
    reader = client(demo, "ct.ubnd")
    page = reader.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert f"/drafts/{draft.id}/reports/appraisal.pdf" in page
    docx = reader.get(f"/drafts/{draft.id}/reports/appraisal.docx")
    assert docx.status_code == 200
    document = Document(io.BytesIO(docx.data))
    text = "\n".join(p.text for p in document.paragraphs)
    header = "\n".join(c.text for c in document.tables[0].rows[0].cells)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header and "Số:" in header
    assert re.search(r"ngày \d\d tháng \d\d năm \d{4}", header)
    assert "BÁO CÁO" in text and draft.title in text and data["appraisal_result"] in text
    issuer, motto = (c.text.split("\n") for c in document.tables[0].rows[0].cells)
    assert issuer[-1].startswith("Số:") and "/BC-" in issuer[-1]
    assert issuer[-2] == issuer[-2].upper() and issuer[-2].strip()  # the issuing body
    today = vietnam_date(NOW)
    assert motto[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert motto[2].endswith(f", ngày {today:%d} tháng {today:%m} năm {today:%Y}")
    assert any(p.text.startswith("Kính gửi: ") for p in document.paragraphs)
    recipients, signer = document.tables[-1].rows[0].cells
    assert recipients.text.startswith("Nơi nhận:\n- ") and recipients.text.endswith("- Lưu: VT;")
    assert signer.text == "GIÁM ĐỐC"
    pdf = reader.get(f"/drafts/{draft.id}/reports/appraisal.pdf")
    assert pdf.mimetype == "application/pdf"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pdf_text(pdf.data)
    skeleton = Document(io.BytesIO(reader.get(f"/drafts/{draft.id}/reports/submission.docx").data))
    texts = [p.text for p in skeleton.paragraphs]
    assert texts[:2] == ["DỰ THẢO", "TỜ TRÌNH"]
    history = skeleton.tables[1]  # the steps so far, a body table between the paragraphs
    assert [c.text for c in history.rows[0].cells] == ["TT", "Bước", "Cơ quan", "Ngày hoàn thành"]
    assert history.rows[1].cells[0].text == "1" and re.fullmatch(
        r"\d\d/\d\d/\d{4}", history.rows[1].cells[3].text
    )
    assert skeleton.tables[-1].rows[0].cells[0].text.endswith("- Lưu: VT;")
    assert reader.get(f"/drafts/{draft.id}/reports/nonsense.pdf").status_code == 404
    assert client(demo, "cv.sxd").get(f"/drafts/{draft.id}/reports/appraisal.pdf").status_code in (
        200,
        404,
    )  # the draft page's rule decides

    behind = reader.get(f"/dashboards/plan/behind.docx?year={YEAR}")
    table = Document(io.BytesIO(behind.data)).tables[1]
    assert len(table.rows) == 8 + 1  # the demo's 8 items behind plan under the header
    assert table.rows[1].cells[0].text == "1" and len(table.rows[1].cells) == 6
    assert client(demo, "cv.sxd").get(f"/dashboards/plan/behind.pdf?year={YEAR}").status_code == 403
    # The plan itself: every item of the year, with its state (the same rule as the dashboard).
    with lifecycle.db.read() as session:
        states = Counter(row.state for row in plan_status(session, YEAR, NOW))
    listed = reader.get(f"/dashboards/plan/items.docx?year={YEAR}")
    assert listed.status_code == 200
    document = Document(io.BytesIO(listed.data))
    items = document.tables[1]
    assert len(items.rows) == sum(states.values()) + 1
    assert [c.text for c in items.rows[0].cells][-2:] == ["Tình trạng", "Ghi chú"]
    column = Counter(row.cells[4].text for row in list(items.rows)[1:])
    assert column["Chậm so với kế hoạch"] == states["behind"] == 8
    assert any("DANH MỤC" in p.text for p in document.paragraphs)
    pdf = reader.get(f"/dashboards/plan/items.pdf?year={YEAR}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client(demo, "cv.sxd").get(f"/dashboards/plan/items.docx?year={YEAR}").status_code == 403
    with lifecycle.db.read() as session:
        logged = Counter(
            session.execute(
                select(AuditEvent.action).where(
                    AuditEvent.action.in_(("draft_report_exported", "dashboard_exported"))
                )
            ).scalars()
        )
    assert logged["draft_report_exported"] >= 3 and logged["dashboard_exported"] >= 1


def test_jinja_typed_into_a_title_comes_out_as_typed(demo: tuple[Lifecycle, Flask]) -> None:
    """docxtpl renders with Jinja: what a user types is a value, never template source."""
    lifecycle, _ = demo
    typed = "{{ 7*7 }} {%p for x in y %}{% if 1 %}<b>&amp;\x0c"
    with lifecycle.db.write() as session:
        draft = session.execute(
            select(Draft).where(Draft.instance_id.is_not(None)).order_by(Draft.id).limit(1)
        ).scalar_one()
        draft_id, title, draft.title = draft.id, draft.title, typed
    shown = typed.replace("\x0c", "")  # a form feed no DOCX can hold is dropped
    try:
        reader = client(demo, "ct.ubnd")
        for path in ("summary.docx", "reports/submission.docx"):
            response = reader.get(f"/drafts/{draft_id}/{path}")
            assert response.status_code == 200, path
            text = "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)
            assert shown in text and "49" not in text, path
    finally:
        with lifecycle.db.write() as session:
            session.get(Draft, draft_id).title = title


def test_heatmap_colours_follow_the_median_against_the_limit(
    either_demo: tuple[Lifecycle, Flask],
) -> None:
    html = client(either_demo, "admin").get(f"/dashboards/tasks?year={YEAR}").get_data(as_text=True)
    table = re.findall(
        r'<tr data-heat-step="(\w+)" data-heat="(\w+)"><th scope="row">[^<]*</th>'
        r'<td class="num">([\d.]+)</td><td data-limit-unit="(\w*)">(\d*)',
        html,
    )
    assert table
    for _spec, heat, median, unit, limit in table:
        ratio = float(median) / int(limit) if limit and unit == "working_days" else None
        assert heat == ("none" if ratio is None else heat_class(ratio))
    shown = {row[0]: row[1] for row in table}
    drawn = {}
    for heat_list in re.findall(r'data-heat="([\w:,]*)" data-waiting', html):
        drawn.update(pair.split(":") for pair in heat_list.split(",") if pair)
    assert drawn and all(shown[spec] == heat for spec, heat in drawn.items())
    url = re.search(r'data-diagram-url="(/dashboards/diagrams/\d+\.bpmn)"', html).group(1)
    assert client(either_demo, "admin").get(url).data.startswith(b"<?xml")
    assert client(either_demo, "cv.sxd").get(url).status_code == 403


def direct_step_times(
    session: Session,
    filters: Filters,
    scope: DashboardScope,
    calendar: WorkingCalendar,
    steps: StepCatalog,
) -> dict[str, tuple[int, float, float, int, set[int | None]]]:
    """Step times counted one task at a time from ``human_task`` joined to its draft and
    instance (what task_figures read before ``completed_step``): per step the tasks, median,
    90th percentile, tasks over their limit and the limits that are the most common."""
    first, last = filters.period()
    rules_on = min(last, vietnam_date(NOW))
    rows = session.execute(
        select(
            HumanTask.spec_id,
            HumanTask.created_at,
            HumanTask.completed_at,
            ProcessInstance.definition_id,
            Draft.document_type,
            Draft.procedure,
            Draft.lead_agency,
        )
        .join(Draft, Draft.instance_id == HumanTask.instance_id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.state == "completed")
    ).all()
    spans: dict[str, list[int]] = {}
    late: Counter[str] = Counter()
    limits: dict[str, Counter[int]] = {}
    tables: dict[str, dict] = {}
    for spec, created, completed, definition_id, document_type, procedure, agency in rows:
        start, end = vietnam_date(created), vietnam_date(completed)
        if not first <= end <= last or not scope.allows(agency):
            continue
        if filters.document_type and document_type != filters.document_type:
            continue
        if filters.agency and agency != filters.agency:
            continue
        if filters.level and (document_type in COMMUNE_TYPES) != (filters.level == "commune"):
            continue
        span = calendar.working_days_between(start, end)
        spans.setdefault(spec, []).append(span)
        rule_step = steps.facts(definition_id, spec).rule_step
        if document_type not in tables:
            tables[document_type] = rules_snapshot(session, document_type, rules_on)
        table = tables[document_type]
        rule = table.get(procedure or "normal", {}).get(rule_step) if rule_step else None
        limits.setdefault(spec, Counter())
        if rule:
            limits[spec][rule["amount"]] += 1
            taken = span if rule["unit"] == "working_days" else (end - start).days
            late[spec] += taken > rule["amount"]
    result = {}
    for spec, taken in spans.items():
        most = max(limits[spec].values(), default=0)
        common = {n for n, k in limits[spec].items() if k == most} or {None}
        ranked = sorted(taken)
        p90 = ranked[max(0, math.ceil(0.9 * len(ranked)) - 1)]
        result[spec] = (len(taken), statistics.median(taken), p90, late[spec], common)
    return result


def test_step_times_equal_a_direct_count_over_the_task_rows(
    either_demo: tuple[Lifecycle, Flask],
) -> None:
    """The figures read ``completed_step``; one task at a time over ``human_task`` gives the
    same, for filters and scopes, and with a calendar changed after the tasks completed
    (spans are counted with the calendar of the moment, from the stored days)."""
    lifecycle, _ = either_demo
    busy_month = [date(YEAR - 1, 11, 1) + timedelta(days=n) for n in range(30)]
    edited = WorkingCalendar([CalendarException(day, "off", "test") for day in busy_month])
    with lifecycle.db.read() as session:
        agency, document_type = session.execute(
            select(Draft.lead_agency, Draft.document_type)
            .join(HumanTask, HumanTask.instance_id == Draft.instance_id)
            .where(HumanTask.state == "completed")
            .group_by(Draft.lead_agency, Draft.document_type)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        everyone, one_agency = DashboardScope(None), DashboardScope(frozenset({agency}))
        cases = [
            (Filters(YEAR - 1), everyone, lifecycle.calendar()),
            (Filters(YEAR - 1), everyone, edited),
            (Filters(YEAR), everyone, lifecycle.calendar()),
            (Filters(YEAR - 1, document_type=document_type), one_agency, lifecycle.calendar()),
            (Filters(YEAR - 1, agency=agency, level="commune"), everyone, lifecycle.calendar()),
            (Filters(YEAR - 1, level="province"), everyone, lifecycle.calendar()),
            (
                Filters(YEAR, period_from=date(YEAR - 1, 12, 1), period_to=date(YEAR, 1, 5)),
                everyone,
                edited,
            ),
        ]
        seen = []
        for filters, scope, calendar in cases:
            steps = StepCatalog(lifecycle.engine, session)
            figures = task_figures(session, filters, scope, calendar, steps)
            shown = {
                t.spec_id: (t.completed, t.median, t.p90, t.over_limit, t.limit)
                for t in figures.step_times
            }
            direct = direct_step_times(session, filters, scope, calendar, steps)
            assert shown.keys() == direct.keys(), filters
            for spec, (n, median, p90, over, limit) in shown.items():
                assert (n, median, p90, over) == direct[spec][:4], (filters, spec)
                assert limit in direct[spec][4], (filters, spec)
            seen.append(shown)
    assert seen[0] and seen[3] and seen[6]  # the cases are not all empty
    assert seen[0] != seen[1]  # the edited calendar changes spans


def test_completed_steps_kept_equal_the_migrations_backfill(
    either_demo: tuple[Lifecycle, Flask],
) -> None:
    """The rows the listener wrote as the demo's tasks completed are those w0014_stepfig's
    backfill and :func:`workflows.step_times.refill` compute from ``human_task``."""
    lifecycle, _ = either_demo
    db = lifecycle.db

    def stored() -> list[tuple]:
        with db.read() as session:
            return [
                tuple(row)
                for row in session.execute(
                    select(CompletedStep.__table__).order_by(CompletedStep.task_id)
                ).all()
            ]

    kept = stored()
    assert kept
    config = alembic_config(db)
    for target in ("w0013", "heads"):
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if target == "w0013" else command.upgrade)(config, target)
    assert stored() == kept
    with db.write() as session:
        assert refill(session) == len(kept)
    assert stored() == kept
