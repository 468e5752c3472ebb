"""In-app notifications: the list in the reader's language, marking read, and the
e-mail preferences of the profile page.

Marking read changes nothing of any workflow: it is not audited. A notification that is
not the reader's is 404, like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from web.auth import current_actor, login_required
from web.extensions import lifecycle
from web.i18n import localize
from workflows.notifications import kinds, preferences, reading
from workflows.notifications.model import DELIVERIES

bp = Blueprint("notifications", __name__)


def _translate(template: str) -> str:
    return str(_(template))


def unread_count() -> int:
    """For the top bar: how many notifications the signed-in user has not read (capped)."""
    if g.get("actor") is None:
        return 0
    cached = g.get("_unread")
    if cached is None:
        with lifecycle().db.read() as session:
            cached = reading.unread_count(session, g.actor.id)
        g._unread = cached
    return int(cached)


@bp.get("/notifications")
@login_required
def index() -> Any:
    language = str(get_locale() or "vi")
    with lifecycle().db.read() as session:
        rows = reading.notifications_of(session, current_actor().id)
    shown = [(row, kinds.render(row.kind, row.params or {}, language, _translate)) for row in rows]
    return render_template("notifications.html", notifications=shown)


@bp.post("/notifications/<int(max=2147483647):notification_id>/read")
@login_required
def read(notification_id: int) -> Any:
    with lifecycle().db.write() as session:
        if not reading.mark_read(session, current_actor().id, notification_id):
            abort(404)
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read-all")
@login_required
def read_all() -> Any:
    with lifecycle().db.write() as session:
        count = reading.mark_all_read(session, current_actor().id)
    flash(_("%(n)s notifications marked as read.", n=count), "info")
    return redirect(url_for("notifications.index"))


@bp.app_template_global()
def notification_choices() -> list[tuple[str, str, str]]:
    """For the profile page: (kind, its name, the signed-in user's delivery) per kind."""
    with lifecycle().db.read() as session:
        chosen = preferences.preferences_of(session, g.user.id)
    return [(kind, localize(kinds.KIND_NAMES[kind]), chosen[kind]) for kind in chosen]


@bp.app_template_global()
def delivery_names() -> list[tuple[str, str]]:
    names = {
        "immediate": _("E-mail at once"),
        "digest": _("In the daily summary"),
        "off": _("No e-mail"),
    }
    return [(code, names[code]) for code in DELIVERIES]


@bp.post("/profile/notifications")
@login_required
def save_preferences() -> Any:
    choices = {
        kind: request.form.get(f"delivery_{kind}", preferences.DEFAULTS[kind])
        for kind in kinds.CHOOSABLE_KINDS
    }
    with lifecycle().db.write() as session:  # an unknown choice: InvalidData, 422
        preferences.set_preferences(session, g.user.id, choices)
    flash(_("Your notification settings are saved."), "info")
    return redirect(url_for("auth.profile"))
