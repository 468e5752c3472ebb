"""A walker that takes one draft through its whole lifecycle using the pages only.

It does what :class:`workflows.autopilot.Autopilot` does (find the open step, pick a person
who holds the step's role in its organisation and is not barred by four-eyes, upload what the
dossier lacks, answer the form, decide) but every action goes through the browser, as that
person, in their own signed-in browser context. The engine is only *read*: to know which
steps are open and who may do them, and to let time pass when the draft waits on a timer
(the process-wide test clock, then the timers fire as the scheduler would fire them).

Each step is photographed (full page, after the form is filled) into
``test-artifacts/walk/<document type>-<backend>/NN-<element>.png``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine import TaskQuery, clock
from engine.tasks import TaskInfo
from tests.browser.live import Browsing, LiveServer, sign_in
from tests.browser.widgets import (
    DeadEnd,
    answer_form,
    decisions,
    forward,
    invalid_fields,
    read_form,
)
from workflows.autopilot import Autopilot, sample_pdf
from workflows.calendar import vietnam_date
from workflows.drafts import Draft

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "walk"

#: element id (or ``element@organisation``) -> answers, or a list used one visit after another.
Plan = Mapping[str, Mapping[str, Any] | Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class Step:
    number: int
    element_id: str
    task_id: str
    username: str
    decision: str | None
    answers: dict[str, Any]
    seconds: float = 0.0


@dataclass
class Walker:
    """Walks one draft; ``plan`` overrides the forward answers at chosen steps."""

    server: LiveServer
    browsing: Browsing
    label: str  # names the screenshot folder, e.g. "qd_ubnd_tinh-sqlite"
    files: Path  # where the PDFs to upload are written
    plan: Plan = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    timers: list[str] = field(default_factory=list)  # what the walker let time pass for
    pages: dict[str, Page] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # the plan's keys that met a step
    visits: dict[str, int] = field(default_factory=dict)
    _shots: int = 0

    @property
    def shots(self) -> Path:
        return ARTIFACTS / self.label

    # People ------------------------------------------------------------------------------------
    def page_for(self, username: str) -> Page:
        """The person's own browser (one context per user, signed in once and reused)."""
        if username not in self.pages:
            page = self.browsing.new_page()
            sign_in(page, username)
            self.pages[username] = page
        return self.pages[username]

    def _goto(self, page: Page, username: str, path: str) -> None:
        page.goto(path)
        if re.search(r"/login(\?|$)", page.url):  # signed out meanwhile: sign in again
            sign_in(page, username)
            page.goto(path)

    def shot(self, page: Page, name: str) -> Path:
        self._shots += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        target = self.shots / f"{self._shots:02d}-{name}.png"
        page.screenshot(path=str(target), full_page=True, animations="disabled", caret="hide")
        return target

    # Starting ----------------------------------------------------------------------------------
    def start(
        self,
        username: str,
        *,
        title: str,
        document_type: str,
        lead_agency: str,
        consulted: Sequence[str] = (),
        target_session: str = "",
    ) -> Draft:
        """The drafter fills in /drafts/new and creates the draft."""
        page = self.page_for(username)
        self._goto(page, username, "/drafts/new")
        where = f"/drafts/new as {username}"
        page.locator("#title").fill(title)
        for name, value in (("document_type", document_type), ("lead_agency", lead_agency)):
            offered = page.locator(f"#{name} option").evaluate_all("os => os.map(o => o.value)")
            if value not in offered:
                raise DeadEnd(f"{where}: '{name}' offers {offered}, not '{value}'")
            page.locator(f"#{name}").select_option(value)
        if consulted:
            page.locator("#consulted_agencies").select_option(list(consulted))
        if target_session:
            page.locator("#target_session").fill(target_session)
        page.locator("#summary").fill(f"{title}: phạm vi, đối tượng áp dụng và nội dung chính.")
        self.shot(page, "new-draft")
        page.locator("form.form button[type=submit].primary").click()
        expect(page).to_have_url(re.compile(r"/drafts/\d+$"))
        flash = page.locator(".flash-info").first.inner_text()
        found = re.search(r"\b[A-Z0-9][\w.-]*-\d+\b", flash)
        draft_id = int(page.url.rsplit("/", 1)[1])
        with self.server.lifecycle.db.read() as session:
            draft = session.get(Draft, draft_id)
            assert draft is not None
            assert found is None or draft.code in flash, f"flash {flash!r} names another draft"
            return draft

    # Walking -----------------------------------------------------------------------------------
    def open_tasks(self, draft: Draft) -> list[TaskInfo]:
        return self.server.lifecycle.engine.tasks(
            TaskQuery(instance_id=draft.instance_id, states=("open", "claimed"), limit=100)
        )

    def reload(self, draft: Draft) -> Draft:
        with self.server.lifecycle.db.read() as session:
            fresh = session.execute(select(Draft).where(Draft.id == draft.id)).scalar_one()
            return fresh

    def run(self, draft: Draft, *, max_steps: int = 80) -> Draft:
        """Work every open step through the pages until the draft leaves the active state."""
        for _ in range(max_steps):
            draft = self.reload(draft)
            if draft.status != "active":
                return draft
            tasks = self.open_tasks(draft)
            if tasks:
                self.step(draft, tasks[0])
            elif not self.let_time_pass(draft):
                raise AssertionError(
                    f"{draft.code} is {draft.status}/{draft.stage} with no open step and no timer"
                )
        raise AssertionError(f"{draft.code} did not finish within {max_steps} steps")

    def let_time_pass(self, draft: Draft) -> bool:
        """Advance the test clock to the draft's next timer and fire what is due (as the
        scheduler does); False when nothing is waiting."""
        engine = self.server.lifecycle.engine
        instance = engine.instance(draft.instance_id)
        if instance.status != "running" or instance.next_timer_at is None:
            return False
        gap = instance.next_timer_at - clock.now() + timedelta(minutes=1)
        if gap > timedelta(0):
            clock.advance(gap)
        self.timers.append(f"{draft.stage}: {vietnam_date(clock.now()):%d/%m/%Y}")
        engine.fire_due_timers(clock.now())
        return True

    def answers_for(self, task: TaskInfo) -> dict[str, Any]:
        keyed = f"{task.element_id}@{task.organisation}"
        key = keyed if keyed in self.plan else task.element_id
        planned = self.plan.get(key)
        if planned is None:
            return {}
        self.used.add(key)
        if isinstance(planned, Mapping):
            return dict(planned)
        visit = self.visits.get(key, 0)
        self.visits[key] = visit + 1
        return dict(planned[min(visit, len(planned) - 1)])

    def worker(self, task: TaskInfo) -> str:
        """Who does the step: its assignee, else the first holder of the role not barred."""
        return Autopilot(self.server.lifecycle).worker(task).id

    def step(self, draft: Draft, task: TaskInfo) -> Step:
        started = time.monotonic()
        username = self.worker(task)
        page = self.page_for(username)
        where = f"step {task.element_id} ('{task.title}', /tasks/{task.id}) as {username}"
        self.open_from_inbox(page, username, task, where)
        if page.locator("button[data-action=claim]").count():
            page.locator("button[data-action=claim]").click()
            expect(page.locator(".flash-info")).to_have_text(
                self.server.text("You claimed this task.")
            )
        refusal = page.locator("#step .refusal")
        if refusal.count():
            raise DeadEnd(f"{where}: the page says {refusal.inner_text()!r}")
        self.upload_missing(page, draft, where)
        self.answer_ledger(page, where)
        plan = self.answers_for(task)
        today = vietnam_date(clock.now())
        entered = answer_form(page, {k: v for k, v in plan.items()}, today, where)
        offered = decisions(page)
        decision = None
        if offered:
            decision = str(plan.get("decision") or forward(offered))
            if decision not in offered:
                raise DeadEnd(f"{where}: the decisions offered are {offered}, not '{decision}'")
        elif "decision" in plan:
            raise DeadEnd(f"{where}: no decision buttons, the plan wants '{plan['decision']}'")
        self.shot(page, task.element_id)
        self.submit(page, task, decision, entered, where)
        seconds = round(time.monotonic() - started, 1)
        done = Step(len(self.steps) + 1, task.element_id, task.id, username, decision, entered,
                    seconds)  # fmt: skip
        self.steps.append(done)
        return done

    def open_from_inbox(self, page: Page, username: str, task: TaskInfo, where: str) -> None:
        """Inbox, the right tab ("mine" once claimed, "offered" before), the task's link."""
        tab = "mine" if task.assignee == username else "offered"
        self._goto(page, username, f"/inbox?tab={tab}")  # the tab's own link, opened at once
        link = page.locator(f"a.tab[data-tab={tab}]")
        if not link.count():
            raise DeadEnd(f"{where}: the inbox has no '{tab}' tab")
        expect(link).to_have_class(re.compile(r"\bactive\b"))
        row = page.locator(f"tr[data-task-id='{task.id}'] a.task-link")
        if not row.count():
            raise DeadEnd(f"{where}: the task is not listed in the inbox tab '{tab}'")
        row.click()
        expect(page).to_have_url(re.compile(rf"/tasks/{task.id}$"))

    def answer_ledger(self, page: Page, where: str) -> None:
        """On the synthesis step: publish the comments awaiting moderation, then answer every
        unanswered entry of the comment ledger through its own form, as the drafter would."""
        for _ in range(50):
            publish = page.locator("#moderation button[name=action][value=publish]")
            if not publish.count():
                break
            with page.expect_navigation():
                publish.first.click()
        for _ in range(50):
            row = page.locator("#ledger tr[data-entry]:has(.badge-late)")
            if not row.count():
                return
            form = row.first.locator("form")
            if not form.count():
                raise DeadEnd(f"{where}: a ledger entry is unanswered but offers no answer form")
            form.locator("select[name=answer]").select_option("accepted")
            form.locator("textarea[name=note]").fill("Đã tiếp thu, chỉnh sửa dự thảo.")
            with page.expect_navigation():
                form.locator("button[type=submit]").click()
        raise DeadEnd(f"{where}: the comment ledger still has unanswered entries")

    def upload_missing(self, page: Page, draft: Draft, where: str) -> None:
        """Upload every required item marked missing, and a new version of each item the
        last return named as missing (``#form .returned [data-item]``)."""
        missing = page.locator("ul.required-items li:has(.badge-overdue)")
        codes = [missing.nth(i).get_attribute("data-item") or "" for i in range(missing.count())]
        returned = page.locator("#form .returned [data-item]")
        codes += [returned.nth(i).get_attribute("data-item") or "" for i in range(returned.count())]
        for code in dict.fromkeys(c for c in codes if c):
            form = page.locator("#upload-form")
            if not form.count():
                raise DeadEnd(f"{where}: '{code}' is missing but the page has no upload form")
            offered = form.locator("select#item option").evaluate_all("os => os.map(o => o.value)")
            if code not in offered:
                raise DeadEnd(f"{where}: the upload form does not offer the item '{code}'")
            path = self.files / f"{draft.code}-{code}-{len(self.steps)}.pdf"
            path.write_bytes(sample_pdf(f"{draft.code} {code}"))
            form.locator("select#item").select_option(code)
            form.locator("input#file").set_input_files(str(path))
            form.locator("button[data-action=upload]").click()
            expect(page.locator("#dossier .flash-info")).to_be_visible()
            if page.locator(f"ul.required-items li[data-item={code}]").count():
                expect(page.locator(f"li[data-item={code}] .badge-ok")).to_be_visible()

    def submit(
        self, page: Page, task: TaskInfo, decision: str | None, entered: dict[str, Any], where: str
    ) -> None:
        """Press the decision (or Submit) button; the page must take it and go to the inbox."""
        blocked = invalid_fields(page)
        if blocked:
            raise DeadEnd(f"{where}: the browser will not send the form: {blocked}")
        page.wait_for_load_state("load")  # app.js, which asks for confirmation, has run
        if decision is not None:
            button = page.locator(f"#step-form button[name=decision][value='{decision}']")
        else:
            button = page.locator("#step-form button[data-action=complete]")
        with page.expect_navigation():
            button.click()
        if re.search(r"/inbox$", page.url):
            expect(page.locator(".flash-info")).to_have_text(
                self.server.text("Done: %(title)s", title=task.title)
            )
            return
        self.shot(page, f"{task.element_id}-refused")
        errors = page.locator(".flash-error").all_inner_texts()
        lone = [
            w.name for w in read_form(page) if w.kind == "checkbox" and entered.get(w.name) is False
        ]
        hint = (
            f"; {lone} answered 'No' on a lone checkbox, which sends nothing when unticked"
            if lone
            else ""
        )
        raise DeadEnd(
            f"{where}: the page refused the answers {entered} (decision {decision!r}) "
            f"with {errors or 'no message'} at {page.url}{hint}"
        )
