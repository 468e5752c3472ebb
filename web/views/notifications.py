"""In-app notifications: escalations of overdue steps (and later reminders) for the user."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, url_for
from sqlalchemy import func, select

from web.auth import current_actor, login_required
from web.extensions import lifecycle
from workflows.notifications import Notification, mark_read

bp = Blueprint("notifications", __name__)


def unread_count() -> int:
    """For the top bar: how many notifications the signed-in user has not read (capped)."""
    if g.get("actor") is None:
        return 0
    cached = g.get("_unread")
    if cached is None:
        with lifecycle().db.read() as session:
            cached = session.execute(
                select(func.count()).select_from(
                    select(Notification.id)
                    .where(Notification.recipient == g.actor.id, Notification.read_at.is_(None))
                    .limit(100)
                    .subquery()
                )
            ).scalar_one()
        g._unread = cached
    return int(cached)


@bp.get("/notifications")
@login_required
def index() -> Any:
    with lifecycle().db.read() as session:
        rows = list(
            session.execute(
                select(Notification)
                .where(Notification.recipient == current_actor().id)
                .order_by(Notification.created_at.desc())
                .limit(100)
            ).scalars()
        )
    return render_template("notifications.html", notifications=rows)


@bp.post("/notifications/<int(max=2147483647):notification_id>/read")
@login_required
def read(notification_id: int) -> Any:
    with lifecycle().db.write() as session:
        if not mark_read(session, current_actor().id, notification_id):
            abort(404)
    return redirect(url_for("notifications.index"))
