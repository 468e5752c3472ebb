"""One citizen's comment on Điều 3, from a phone to the appraiser's desk, through the pages.

1. A citizen on a phone (390×844) reads the draft by article and comments on Điều 3. The
   public page is the one most people open from a QR code on paper, so it is checked at a
   phone's width: nothing wider than the screen, the article readable, the comment form
   usable, the confirmation shown, no cookie.
2. The posting period ends (the test clock moves; nothing sleeps): the page takes no more
   comments. The consulted agency and the Fatherland Front reply (the autopilot).
3. The drafter (cv.sxd) opens the synthesis step from the inbox, publishes the comment from
   its moderation queue (the public page then shows it), answers the other entries, is
   refused while the citizen's comment is unanswered, answers it and completes the step.
4. The appraiser of the Department of Justice (tdv.stp) opens the dossier check from the
   inbox and reads, from the dossier, the synthesis table: the citizen's comment on Điều 3
   with the drafter's answer.

Every page is photographed into ``test-artifacts/public/`` (git-ignored); with
``LEXFLOW_SCREENSHOTS=1`` four of them also go to ``docs/screenshots`` (see its README).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine import clock
from tests.browser.live import Browsing, sign_in
from tests.support.consultation import draft_docx, post_for_comment
from workflows import dossier
from workflows.autopilot import Autopilot, at_step
from workflows.consultation.comments import comments_of
from workflows.consultation.window import comment_window
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "public"
PHONE = {"width": 390, "height": 844}
CITIZEN = "Trần Thị B"
COMMENT = "Đề nghị ghi rõ thời hạn của giấy phép khai thác cát."
ANSWER = "Đã bổ sung: giấy phép khai thác cát phải còn hiệu lực (khoản 1 Điều 3)."
SUMMARY = "Tiếp thu ý kiến về thời hạn giấy phép; giải trình các ý kiến còn lại."

Screenshot = Callable[..., Path | None]


def test_a_citizens_comment_from_a_phone_is_answered_and_read_by_the_appraiser(
    lifecycle: Lifecycle, browsing: Browsing, screenshot: Screenshot
) -> None:
    with clock.travelling(clock.now()):  # the posting period ends below; restored after
        draft = post_for_comment(lifecycle)
        with lifecycle.db.write() as session:  # a revised text replaced the one first posted
            dossier.add_version(
                session, draft.id, "du_thao", "du_thao_v2.docx", draft_docx(revised=True),
                "cv.sxd",
            )  # fmt: skip
        citizen = citizen_comments(lifecycle, browsing, draft, screenshot)

        end_posting_period(lifecycle, draft)
        citizen.goto(f"/public/drafts/{draft.id}?lang=en")
        expect(citizen.locator("#comment form")).to_have_count(0)
        closed = "Comments are accepted only while the draft is open for comment."
        expect(citizen.locator("#comment")).to_contain_text(browsing.server.text(closed, "en"))
        pilot = Autopilot(lifecycle)
        draft = pilot.run(draft, until=at_step("_cns_synthesis"))  # STC and the Front replied

        drafter = drafter_publishes(browsing, screenshot)
        citizen.reload()  # published: on the public page, for everyone
        expect(citizen.locator("#comments")).to_contain_text(COMMENT)
        drafter_answers(drafter, browsing, draft, screenshot)

        draft = pilot.run(draft, until=at_step("_apr_check"))  # the dossier sent to appraisal
        appraiser_reads_the_table(browsing, screenshot)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), animations="disabled", caret="hide")


def citizen_comments(
    lifecycle: Lifecycle, browsing: Browsing, draft: Draft, screenshot: Screenshot
) -> Page:
    page = browsing.new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"/public/drafts/{draft.id}")  # in the phone's language (vi-VN)
    expect(page.locator("#comment h2")).to_have_text(browsing.server.text("Send a comment"))
    screenshot(page, "public-draft.png", full_page=True)
    page.goto(f"/public/drafts/{draft.id}?lang=en")
    expect(page.locator("h1")).to_have_text(draft.title)
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    article = page.locator("#dieu-3")
    article.scroll_into_view_if_needed()
    expect(article.locator("h3")).to_have_text("Điều 3. Mỏ cát")
    expect(article).to_contain_text("Việc khai thác cát phải có giấy phép còn hiệu lực.")
    shot(page, "01-article.png")
    changes = page.locator("#changes")
    changes.scroll_into_view_if_needed()
    expect(changes.locator("ins").first).to_be_visible()
    changes.screenshot(path=str(ARTIFACTS / "02-changes.png"), animations="disabled")
    form = page.locator("#comment form")
    form.locator("#name").fill(CITIZEN)
    form.locator("#email").fill("b@example.vn")
    form.locator("#article").select_option("3")
    form.locator("#body").fill(COMMENT)
    form.locator("button[type=submit]").click()
    confirmation = page.locator("#comment [role=status]")
    expect(confirmation).to_be_visible()
    expect(confirmation).to_contain_text("your comment was received")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    confirmation.scroll_into_view_if_needed()
    shot(page, "03-sent.png")
    page.reload()  # the thanks came by GET: reloading it sends nothing again
    expect(confirmation).to_be_visible()
    assert not page.context.cookies()  # the public pages open no session
    with lifecycle.db.read() as session:
        kept = comments_of(session, draft.id, statuses=("pending",))
        assert [(c.article, c.name) for c in kept] == [("3", CITIZEN)]
    return page


def end_posting_period(lifecycle: Lifecycle, draft: Draft) -> None:
    """Move the clock past the end of the posting period and fire its timer, as the
    scheduler would."""
    with lifecycle.db.read() as session:
        window = comment_window(session, lifecycle.engine, lifecycle.calendar(), draft)
    assert window is not None
    clock.advance(window.closes_at - clock.now() + timedelta(minutes=1))
    lifecycle.engine.fire_due_timers(clock.now())


def drafter_publishes(browsing: Browsing, screenshot: Screenshot) -> Page:
    """From the inbox to the synthesis step, where the citizen's comment awaits moderation."""
    text = browsing.server.text
    page = browsing.new_page()
    sign_in(page, "cv.sxd")
    page.goto("/inbox?tab=offered")
    page.locator("a.task-link").first.click()
    expect(page).to_have_url(re.compile(r"/tasks/[^/]+$"))
    page.locator("button[data-action=claim]").click()
    expect(page.locator(".flash-info")).to_have_text(text("You claimed this task."))
    # The synthesis table is made when the step completes: nobody is asked to upload it.
    expect(page.locator("li[data-item=tong_hop_y_kien] [data-made-here]")).to_be_visible()
    queue = page.locator("#moderation")
    expect(queue.locator("article.comment")).to_have_count(1)
    expect(queue).to_contain_text(COMMENT)
    expect(queue).to_contain_text("Điều 3")
    queue.evaluate("section => section.scrollIntoView()")  # at the top of the screen
    screenshot(page, "moderation.png")
    shot(page, "04-moderation.png")
    with page.expect_navigation():
        queue.locator("button[name=action][value=publish]").click()
    expect(page.locator(".flash-ok").first).to_have_text(text("Comment published."))
    expect(queue.locator("article.comment")).to_have_count(0)
    return page


def answer(page: Page, source: str, kind: str, note: str) -> None:
    """Answer the ledger's entry from ``source`` through its own form on the task page."""
    form = page.locator(f"#ledger tr[data-entry^='{source}:'] form")
    form.locator("select[name=answer]").select_option(kind)
    form.locator("textarea[name=note]").fill(note)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def drafter_answers(page: Page, browsing: Browsing, draft: Draft, screenshot: Screenshot) -> None:
    """Answer the agency and the Front, be refused while the citizen's comment is unanswered,
    answer it (after the refusal: back on the task page, not on the refused POST's URL)."""
    text = browsing.server.text
    answer(page, "agency", "explained", "Sở Tài chính thống nhất; không cần chỉnh sửa.")
    answer(page, "mttq", "explained", "Đã làm rõ trong tờ trình.")
    page.locator("#step-form [name=synthesis_summary]").fill(SUMMARY)
    with page.expect_navigation():
        page.locator("#step-form button[data-action=complete]").click()
    refused = text(
        "%(n)s comments in the ledger have no answer yet: answer each one (accepted, partly "
        "accepted or explained) before completing the synthesis",
        n=1,
    )
    expect(page.locator(".flash-error").first).to_contain_text(refused)
    citizens = page.locator("#ledger tr[data-entry^='public:']")
    expect(citizens.locator(".badge-late")).to_be_visible()  # still unanswered
    answer(page, "public", "accepted", ANSWER)
    expect(page).to_have_url(re.compile(r"/tasks/[^/]+$"))
    expect(page.locator(".flash-ok").first).to_have_text(text("Answer recorded."))
    expect(citizens).to_contain_text(ANSWER)
    expect(page.locator("#ledger .badge-late")).to_have_count(0)
    page.locator("#ledger").evaluate("section => section.scrollIntoView()")
    screenshot(page, "synthesis.png")
    shot(page, "05-synthesis.png")
    page.locator("#step-form [name=synthesis_summary]").fill(SUMMARY)
    with page.expect_navigation():
        page.locator("#step-form button[data-action=complete]").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    done = text("Done: %(title)s", title=f"Tổng hợp ý kiến: {draft.title}")
    expect(page.locator(".flash-info")).to_have_text(done)


def appraiser_reads_the_table(browsing: Browsing, screenshot: Screenshot) -> None:
    """The appraiser opens the dossier check from the inbox and reads the synthesis table."""
    page = browsing.new_page()
    sign_in(page, "tdv.stp")
    page.goto("/inbox?tab=offered")
    page.locator("a.task-link").first.click()
    expect(page).to_have_url(re.compile(r"/tasks/[^/]+$"))
    table_link = page.locator("#dossier a[data-synthesis-table]")
    expect(table_link).to_have_count(1)  # the DOCX the synthesis attached (not a hand's PDF)
    table_link.click()
    expect(page).to_have_url(re.compile(r"/drafts/\d+/synthesis\?version=\d+$"))
    rows = page.locator("#synthesis-table tbody tr")
    expect(rows).to_have_count(3)  # the citizen, the Department of Finance, the Front
    row = rows.filter(has_text=CITIZEN)
    expect(row).to_contain_text("Điều 3")
    expect(row).to_contain_text(COMMENT)
    expect(row).to_contain_text(f"Tiếp thu (Điều 3): {ANSWER}")
    expect(rows.filter(has_text="Ngô Thị Tài (Sở Tài chính)")).to_have_count(1)  # by name
    screenshot(page, "appraisal-synthesis.png")
    shot(page, "06-appraisal-synthesis.png")
