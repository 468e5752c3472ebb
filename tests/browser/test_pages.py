"""Every main page in the browser on a province at work, and the screenshots of the docs.

The province gets drafts walked by the autopilot with simulated time (started days or weeks
ago, so some steps are overdue or nearly due), an annual plan and a few regulations in the
registry. Each page is opened by someone allowed to see it and checked as drawn: styled, its
own heading, the data it is about, no script or resource errors (see conftest). With
``LEXFLOW_SCREENSHOTS=1`` the pages are also saved to ``docs/screenshots`` (SQLite run only).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine import TaskQuery, clock
from engine.authorization import SYSTEM
from tests.browser.live import LiveServer, sign_in
from workflows.autopilot import Autopilot, at_step
from workflows.calendar import vietnam_date
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle
from workflows.plan import PlanItem
from workflows.registry import record_impact, register

pytestmark = pytest.mark.browser

Screenshot = Callable[..., Path | None]

#: (title, step the draft waits at, days since it started). The consultation posts the draft
#: for 30 days, so drafts past it started longer ago.
DRAFTS = (
    ("Quy định quản lý vật liệu xây dựng trên địa bàn tỉnh", "_apr_appraise", 42),
    ("Quy chế quản lý kiến trúc đô thị", "_qdt_register", 45),
    ("Quy định về quản lý chất thải rắn sinh hoạt", "_drf_draft", 58),
    ("Quy định bảng giá đất điều chỉnh năm 2026", "_apr_submit", 38),
    ("Quy định hạn mức giao đất ở tại nông thôn", "_cns_synthesis", 46),
)
REGULATIONS = (
    ("12/2025/QĐ-UBND", "Quy định quản lý nhà chung cư trên địa bàn tỉnh", "clear"),
    ("18/2025/QĐ-UBND", "Quy định về cấp giấy phép xây dựng", "clear"),
    ("07/2025/NQ-HĐND", "Quy định mức thu phí thẩm định dự án đầu tư xây dựng", "unclear"),
    ("25/2025/QĐ-UBND", "Quy chế phối hợp quản lý trật tự xây dựng", "not_yet"),
)


@dataclass
class Province:
    drafts: list[Draft]

    @property
    def appraised(self) -> Draft:
        return self.drafts[0]


@pytest.fixture
def province_at_work(lifecycle: Lifecycle) -> Province:
    lifecycle.deploy_models("owner")
    now = clock.now()
    today = vietnam_date(now)
    drafts = []
    for index, (title, step, days_ago) in enumerate(DRAFTS):
        start = now - timedelta(days=days_ago)
        with clock.frozen_at(start), lifecycle.db.write() as session:
            item = PlanItem(
                year=today.year,
                title=title,
                document_type="qd_ubnd_tinh",
                lead_agency="SXD",
                target_date=today + timedelta(days=90 + 10 * index),
                origin="plan",
                created_by="admin",
                created_at=start,
            )
            session.add(item)
            session.flush()
            draft = lifecycle.start_draft(
                session,
                SYSTEM,
                title=title,
                document_type="qd_ubnd_tinh",
                lead_agency="SXD",
                consulted_agencies=("STC",),
                plan_item_id=item.id,
                plan_year=today.year,
            )
            session.flush()
        pilot = Autopilot(lifecycle, now=start + timedelta(hours=1), pace=timedelta(hours=3))
        stop = at_step(step)

        def reached(candidate: Draft, tasks: list, pilot: Autopilot = pilot, stop=stop) -> bool:
            return stop(candidate, tasks) or (pilot.now is not None and pilot.now >= now)

        walked = pilot.run(draft, until=reached)
        open_steps = [t.element_id for t in pilot.open_tasks(walked)]
        assert any(e.endswith(step) for e in open_steps), f"{title}: stopped at {open_steps}"
        drafts.append(walked)
    with lifecycle.db.write() as session:
        for number in range(2):  # planned, not started: one already behind, one not yet due
            session.add(
                PlanItem(
                    year=today.year,
                    title=f"Quy định về quản lý hoạt động xây dựng số {number + 1}",
                    document_type="qd_ubnd_tinh",
                    lead_agency="SXD",
                    target_date=today + timedelta(days=20 + 200 * number),
                    origin="arising" if number else "plan",
                    created_by="admin",
                    created_at=now,
                )
            )
        for number, title, impact in REGULATIONS:
            signed = date(2025, int(number.split("/")[0]) % 12 + 1, 10)
            regulation = register(
                session,
                number=number,
                title=title,
                document_type="nq_hdnd_tinh" if "NQ" in number else "qd_ubnd_tinh",
                issuing_body="HDND_T" if "NQ" in number else "UBND_T",
                lead_agency="SXD",
                signed_on=signed,
                published_on=signed + timedelta(days=2),
                effective_on=signed + timedelta(days=15),
            )
            record_impact(session, regulation.id, impact, "admin", note="Báo cáo 6 tháng")
    return Province(drafts)


def test_main_pages_as_their_users_see_them(
    live_server: LiveServer,
    new_page: Callable[[], Page],
    province_at_work: Province,
    screenshot: Screenshot,
) -> None:
    life = live_server.lifecycle
    text = live_server.text
    draft = province_at_work.appraised

    # Signed out: the sign-in page.
    visitor = new_page()
    visitor.goto("/login")
    expect(visitor.locator("h1")).to_have_text(text("Sign in"))
    expect(visitor.locator("#username")).to_be_focused()
    screenshot(visitor, "login.png")

    # The drafter's inbox: steps offered to the drafters of SXD, soonest due first.
    drafter = new_page()
    sign_in(drafter, "cv.sxd")
    drafter.locator("a.tab[data-tab=offered]").click()
    rows = drafter.locator("table.tasks tbody tr")
    expect(rows).to_have_count(len(DRAFTS) - 1)  # all but the one at the appraiser's
    expect(drafter.locator("tr.row-overdue .badge-overdue").first).to_have_text(text("overdue"))
    expect(drafter.locator("tr.row-near .badge-near").first).to_have_text(text("due soon"))
    due = [d for d in drafter.locator("table.tasks td.due").all_inner_texts() if "/" in d]
    dates = [date(*reversed([int(p) for p in d.split()[0].split("/")])) for d in due]
    assert dates == sorted(dates), f"not soonest first: {due}"
    screenshot(drafter, "inbox.png")

    # The appraiser's task: the step, its deadline, the form, the dossier, the history.
    appraise = next(
        t
        for t in life.engine.tasks(TaskQuery(instance_id=draft.instance_id, states=("open",)))
        if t.element_id == "Task_apr_appraise"
    )
    appraiser = new_page()
    sign_in(appraiser, "tdv.stp")
    appraiser.goto(f"/tasks/{appraise.id}")
    appraiser.locator("button[data-action=claim]").click()
    expect(appraiser.locator(".flash-info")).to_have_text(text("You claimed this task."))
    expect(appraiser.locator("#step .deadline .badge")).to_be_visible()
    expect(appraiser.locator("#f-appraisal_result")).to_be_enabled()
    expect(appraiser.locator("#f-appraisal_summary")).to_be_enabled()
    expect(appraiser.locator("li[data-item=bao_cao_tham_dinh] .badge-overdue")).to_be_visible()
    expect(appraiser.locator("#dossier table.documents tbody tr").first).to_be_visible()
    expect(appraiser.locator("#upload-form button[data-action=upload]")).to_be_enabled()
    appraiser.locator("#f-appraisal_result").select_option("ready")
    appraiser.locator("#f-appraisal_summary").fill("Dự thảo phù hợp, đủ điều kiện trình.")
    screenshot(appraiser, "task.png")

    # The draft page: progress against the limits and the process drawn by bpmn-js.
    drafter.goto(f"/drafts/{draft.id}")
    expect(drafter.locator("h1")).to_have_text(draft.title)
    diagrams = drafter.locator(".diagram")
    expect(diagrams.first).to_be_visible()
    for index in range(diagrams.count()):
        expect(diagrams.nth(index)).to_have_attribute("data-diagram-state", "ready")
    done = drafter.locator(".diagram g.djs-element.highlight-done[data-element-id=Task_apr_check]")
    expect(done).to_have_count(1)
    active = drafter.locator(".diagram .highlight-active[data-element-id=Task_apr_appraise]")
    expect(active).to_have_count(1)
    expect(drafter.locator("#audit .badge-ok")).to_have_text(text("chain intact"))
    # The page from its title down to the diagram of the stage being worked (the appraisal).
    stage = drafter.locator(".diagram:has(g[data-element-id=Task_apr_appraise])").bounding_box()
    assert stage is not None
    bottom = stage["y"] + stage["height"] + 16 + drafter.evaluate("window.scrollY")
    screenshot(
        drafter, "draft.png", full_page=True, clip={"x": 0, "y": 0, "width": 1366, "height": bottom}
    )

    # The lists: drafts, the registry, the annual plan; administration and models.
    admin = new_page()
    sign_in(admin, "admin")
    admin.locator(".mainnav a[href='/drafts']").click()
    expect(admin.locator("h1")).to_have_text(text("Drafts"))
    for made in province_at_work.drafts:
        expect(admin.locator("#draft-rows")).to_contain_text(made.code)
    screenshot(admin, "drafts.png")

    admin.locator(".mainnav a[href='/regulations']").click()
    expect(admin.locator("h1")).to_have_text(text("Regulations"))
    expect(admin.locator("dd[data-count=in_force]")).to_have_text(str(len(REGULATIONS)))
    expect(admin.locator("dd[data-count=clear]")).to_have_text("2")
    for number, _title, _impact in REGULATIONS:
        expect(admin.locator("#regulation-rows")).to_contain_text(number)
    screenshot(admin, "regulations.png")

    admin.locator(".mainnav a[href='/plan']").click()
    expect(admin.locator("h1")).to_have_text(
        text("Annual plan %(year)s", year=vietnam_date(clock.now()).year)
    )
    expect(admin.locator("a.tab[data-state=behind] .count")).not_to_have_text("0")
    expect(admin.locator("table.plan tbody tr")).to_have_count(len(DRAFTS) + 2)
    screenshot(admin, "plan.png")

    # The leaders' dashboards: real charts with the numbers in a table beside them.
    admin.locator(".mainnav a[href='/dashboards/plan']").click()
    year = vietnam_date(clock.now()).year
    expect(admin.locator("h1")).to_have_text(text("Annual plan %(year)s against actual", year=year))
    expect(admin.locator("figure.chart svg")).to_have_count(1)
    expect(admin.locator("table[data-table=plan-by-agency] tr[data-agency=SXD]")).to_be_visible()
    screenshot(admin, "dashboard-plan.png", full_page=True)
    admin.goto("/dashboards/tasks")
    expect(admin.locator("figure.chart svg").first).to_be_visible()
    # The heatmap: bpmn-js draws the steps' diagrams with a badge of the tasks waiting there.
    heatmap = admin.locator(".heatmap .diagram").first
    expect(heatmap).to_have_attribute("data-diagram-state", "ready")
    expect(admin.locator(".heatmap .djs-overlay .heat-count").first).to_be_visible()
    screenshot(admin, "dashboard-tasks.png", full_page=True)
    admin.goto("/dashboards/registry")
    expect(admin.locator("tr[data-impact=total] td")).to_have_text(str(len(REGULATIONS)))
    screenshot(admin, "dashboard-registry.png", full_page=True)

    admin.locator(".mainnav a[href='/admin']").click()
    expect(admin.locator("h1")).to_have_text(text("Administration"))
    expect(admin.locator(".facts dd").first).not_to_have_text("0")
    screenshot(admin, "admin.png")

    admin.locator(".mainnav a[href='/models']").click()
    expect(admin.locator("h1")).to_have_text(text("Process models"))
    expect(admin.locator("main")).to_contain_text("stage_appraisal")
    screenshot(admin, "models.png")
    assert re.search(r"/models$", admin.url)
