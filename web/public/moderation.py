"""The drafter's side of the consultation: moderating the public's comments, answering the
ledger. Shown on the draft's consultation page and on the task page of the consultation's
drafter steps; only the lead agency's drafters and heads (and administrators) act here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine import Actor, InvalidData, audit
from web.access import can_view_draft
from web.auth import current_actor, login_required
from web.extensions import lifecycle
from web.i18n import localize
from web.public import staff_bp
from workflows.consultation import comments as public_comments
from workflows.consultation import ledger
from workflows.consultation.compare import compare_versions
from workflows.consultation.text import draft_versions, text_of_draft
from workflows.drafts import Draft

MODERATOR_ROLES = ("drafter", "agency_head")


def moderates(actor: Actor, draft: Draft) -> bool:
    """The lead agency's drafters and heads moderate and answer; administrators too."""
    return actor.is_admin or any(
        g.role in MODERATOR_ROLES and g.organisation == draft.lead_agency for g in actor.grants
    )


@dataclass
class Panel:
    draft: Draft
    pending: list[public_comments.PublicComment]
    entries: list[ledger.Entry]
    counts: dict[str, int]
    articles: list[str]
    article: str
    source: str
    can_act: bool


def panel(
    session: Session, draft: Draft, actor: Actor, article: str = "", source: str = ""
) -> Panel:
    """The moderation queue and the ledger (filtered by article and source) of a draft."""
    engine = lifecycle().engine
    items = ledger.entries(session, engine, draft)
    shown = [
        e
        for e in items
        if (not article or (e.article or "") == ("" if article == "whole" else article))
        and (not source or e.source == source)
    ]
    return Panel(
        draft=draft,
        pending=public_comments.comments_of(session, draft.id, statuses=("pending",)),
        entries=shown,
        counts=ledger.counts(items),
        articles=sorted({e.article for e in items if e.article}, key=lambda a: (len(a), a)),
        article=article,
        source=source if source in ledger.SOURCES else "",
        can_act=moderates(actor, draft),
    )


def _draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None or not can_view_draft(session, current_actor(), draft):
        abort(404)
    return draft


def _back(draft_id: int) -> Any:
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("consultation.page", draft_id=draft_id))


@staff_bp.get("/drafts/<int:draft_id>/consultation")
@login_required
def page(draft_id: int) -> Any:
    with lifecycle().db.write() as session:  # reading the draft text once stores it
        draft = _draft(session, draft_id)
        version, text = text_of_draft(session, draft.id)
        problem = text.problem if text is not None else None
        articles = len(text.articles) if text is not None else 0
        shown = panel(
            session, draft, current_actor(),
            request.args.get("article", "")[:20], request.args.get("source", "")[:10],
        )  # fmt: skip
        numbers = [v.version for v in draft_versions(session, draft.id)]
        comparison = compare_versions(
            session, draft.id, request.args.get("from", type=int), request.args.get("to", type=int)
        )
        session.expunge_all()
    return render_template(
        "public/consultation.html", panel=shown, draft=draft, version=version,
        problem=problem, article_count=articles, numbers=numbers, comparison=comparison,
    )  # fmt: skip


@staff_bp.post("/drafts/<int:draft_id>/consultation/comments/<int:comment_id>")
@login_required
def moderate(draft_id: int, comment_id: int) -> Any:
    actor = current_actor()
    with lifecycle().db.write() as session:
        draft = _draft(session, draft_id)
        if not moderates(actor, draft):
            abort(403, _("Only the lead agency moderates the comments on its draft."))
        comment = session.get(public_comments.PublicComment, comment_id)
        if comment is None or comment.draft_id != draft.id:
            abort(404)
        action = request.form.get("action", "")
        try:
            public_comments.moderate(session, comment, action, actor.id, request.form.get("reason"))
        except InvalidData as error:
            abort(422, localize(error.message))
        audit.append_stream_event(
            session, f"consultation:draft:{draft.id}", actor=actor.id, action=f"comment_{action}",
            data={"comment": comment.id, "reason": comment.moderation_reason},
        )  # fmt: skip
    flash(_("Comment published.") if action == "publish" else _("Comment hidden as spam."), "ok")
    return _back(draft_id)


@staff_bp.post("/drafts/<int:draft_id>/consultation/answers")
@login_required
def answer(draft_id: int) -> Any:
    actor = current_actor()
    form = request.form
    with lifecycle().db.write() as session:
        draft = _draft(session, draft_id)
        if not moderates(actor, draft):
            abort(403, _("Only the lead agency answers the comments on its draft."))
        try:
            row = ledger.answer_entry(
                session, lifecycle().engine, draft, form.get("key", "")[:60],
                form.get("answer", ""), form.get("article"), form.get("note", ""), actor.id,
            )  # fmt: skip
        except InvalidData as error:
            abort(422, localize(error.message))
        audit.append_stream_event(
            session, f"consultation:draft:{draft.id}", actor=actor.id, action="ledger_answer",
            data={"entry": row.entry_key, "answer": row.answer, "article": row.article},
        )  # fmt: skip
    flash(_("Answer recorded."), "ok")
    return _back(draft_id)
