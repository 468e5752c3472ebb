"""The e-mail outbox for administrators: what waits, what failed and why, what went out;
a failed message can be sent again (audited)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from web import params
from web.auth import current_actor
from web.extensions import lifecycle
from web.views.admin_common import admin_only, bp, write_session
from workflows.notifications import kinds, outbox
from workflows.notifications.model import OUTBOX_STATES

PAGE = 50


def _state_names() -> dict[str, str]:
    return {
        "pending": _("waiting"),
        "sending": _("being sent"),
        "delivered": _("delivered"),
        "failed": _("failed"),
    }


def _subject(entry: outbox.OutboxEntry, language: str) -> str:
    notification = entry.notification
    words = kinds.render(
        notification.kind, notification.params or {}, language, lambda t: str(_(t))
    )
    return words.subject


@bp.get("/outbox")
@admin_only
def outbox_page() -> Any:
    state = request.args.get("state") or None
    if state is not None and state not in OUTBOX_STATES:
        abort(400, _("Unknown state: choose waiting, being sent, delivered or failed."))
    page = params.integer("page", 1, minimum=1, maximum=100_000) or 1
    language = str(get_locale() or "vi")
    with lifecycle().db.read() as session:
        entries = outbox.outbox_entries(session, state, limit=PAGE + 1, offset=(page - 1) * PAGE)
        counts = outbox.outbox_counts(session)
    rows = [(entry, _subject(entry, language)) for entry in entries[:PAGE]]
    return render_template(
        "admin/outbox.html",
        rows=rows,
        counts=counts,
        state=state,
        state_names=_state_names(),
        page=page,
        more=len(entries) > PAGE,
    )


@bp.post("/outbox/<int(max=2147483647):outbox_id>/resend")
@admin_only
def resend_outbox(outbox_id: int) -> Any:
    with write_session() as session:
        outbox.resend(session, outbox_id, current_actor().id)
    flash(_("The message will be sent again at the next delivery."), "info")
    return redirect(url_for("admin.outbox_page", state=request.form.get("state") or None))
