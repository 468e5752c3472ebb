"""A citizen on a phone (390×844) reads the draft by article and comments on Điều 3.

The public page is the one most people open from a QR code on paper, so it is checked at a
phone's width: nothing wider than the screen, the article readable, the comment form usable,
the confirmation shown. Screenshots go to ``test-artifacts/public/`` (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.live import Browsing
from tests.support.consultation import draft_docx, post_for_comment
from workflows import dossier
from workflows.consultation.comments import comments_of
from workflows.lifecycle import Lifecycle

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "public"
PHONE = {"width": 390, "height": 844}


def test_a_citizen_comments_on_an_article_from_a_phone(
    lifecycle: Lifecycle, browsing: Browsing
) -> None:
    draft = post_for_comment(lifecycle)
    with lifecycle.db.write() as session:  # a revised text replaced the one first posted
        dossier.add_version(
            session, draft.id, "du_thao", "du_thao_v2.docx", draft_docx(revised=True), "cv.sxd"
        )
    page = browsing.new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"/public/drafts/{draft.id}?lang=en")
    expect(page.locator("h1")).to_have_text(draft.title)
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    article = page.locator("#dieu-3")
    article.scroll_into_view_if_needed()
    expect(article.locator("h3")).to_have_text("Điều 3. Mỏ cát")
    expect(article).to_contain_text("Việc khai thác cát phải có giấy phép còn hiệu lực.")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "01-article.png"), animations="disabled", caret="hide")
    changes = page.locator("#changes")
    changes.scroll_into_view_if_needed()
    expect(changes.locator("ins").first).to_be_visible()
    changes.screenshot(path=str(ARTIFACTS / "02-changes.png"), animations="disabled")
    form = page.locator("#comment form")
    form.locator("#name").fill("Trần Thị B")
    form.locator("#email").fill("b@example.vn")
    form.locator("#article").select_option("3")
    form.locator("#body").fill("Đề nghị ghi rõ thời hạn của giấy phép khai thác cát.")
    form.locator("button[type=submit]").click()
    confirmation = page.locator("#comment [role=status]")
    expect(confirmation).to_be_visible()
    expect(confirmation).to_contain_text("your comment was received")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    confirmation.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "03-sent.png"), animations="disabled", caret="hide")
    assert not page.context.cookies()  # the public pages open no session
    with lifecycle.db.read() as session:
        kept = comments_of(session, draft.id, statuses=("pending",))
        assert [(c.article, c.name) for c in kept] == [("3", "Trần Thị B")]
