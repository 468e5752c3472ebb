"""Administration of the working-day calendar (days off, working weekend days)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from engine import EngineError, clock
from web import params
from web.auth import current_actor
from web.extensions import lifecycle
from web.i18n import localize
from web.views.admin_common import (
    FormError,
    admin_only,
    bp,
    form_date,
    form_text,
    record,
    write_session,
)
from workflows.calendar import vietnam_date
from workflows.calendar_store import CalendarDay, remove_day, set_day


# Working-day calendar --------------------------------------------------------------------------
def _calendar_page(
    year: int, error: str | None = None, values: dict[str, str] | None = None
) -> Any:
    calendar = lifecycle().calendar()
    with lifecycle().db.read() as session:
        entered = list(
            session.execute(
                select(CalendarDay)
                .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
                .order_by(CalendarDay.day)
            ).scalars()
        )
    return render_template(
        "admin/calendar.html",
        year=year,
        days_off=calendar.days_off(year),
        working_weekend=calendar.working_weekend_days(year),
        entered=entered,
        entered_days={row.day for row in entered},
        official=calendar.exceptions,
        error=error,
        values=values or {},
    ), (422 if error else 200)


def _year_arg(raw: str | None = None) -> int:
    """The calendar year asked for (query string, or ``raw`` from a form)."""
    default = vietnam_date(clock.now()).year
    text = raw if raw is not None else request.args.get("year")
    return params.whole(text, "year", default, minimum=2000, maximum=2100) or default


@bp.get("/calendar")
@admin_only
def calendar() -> Any:
    return _calendar_page(_year_arg())


@bp.post("/calendar")
@admin_only
def calendar_change() -> Any:
    action = request.form.get("action", "set")
    if action not in ("set", "remove"):
        raise BadRequest(_("The action is 'set' or 'remove'."))
    year = _year_arg(request.form.get("year"))
    try:
        day = form_date("day", _("Day"))
        with write_session() as session:
            if action == "remove":
                remove_day(session, day)
            else:
                kind, name = request.form.get("kind", ""), form_text("name", _("Name"), 200)
                set_day(session, day, kind, name, current_actor().id)
            record(session, "calendar", action, day=day.isoformat(), kind=request.form.get("kind"))
    except FormError as exc:
        return _calendar_page(year, str(exc), request.form.to_dict())
    except EngineError as exc:
        return _calendar_page(year, localize(exc.message), request.form.to_dict())
    lifecycle().calendar.refresh()
    flash(_("The calendar was changed; deadlines computed from now on use it."), "info")
    return redirect(url_for("admin.calendar", year=day.year))
