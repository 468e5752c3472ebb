"""The pages that enter a new item into the annual plan and edit an item.

Who may (the People's Committee office, the Department of Justice, administrators) and
every rule on the fields are :mod:`workflows.plan_entry`'s; this module reads the form,
shows each field's problem beside it (422) and redirects to the plan on success. The routes
join the plan's blueprint, so the plan area stays one blueprint.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import Conflict, clock
from web.auth import current_actor, login_required
from web.extensions import lifecycle
from web.i18n import localize
from web.views.draft_list import parse_date
from web.views.plan import bp
from workflows import plan_entry
from workflows.calendar import vietnam_date
from workflows.directory import active_organisations
from workflows.drafts import DOCUMENT_TYPES
from workflows.plan import PlanItem

FIELDS = ("year", "title", "document_type", "lead_agency", "target_session", "target_date")


def _require_editor(session: Session) -> None:
    if not plan_entry.may_edit_plan(session, current_actor()):
        abort(403)


def _values_of(item: PlanItem) -> dict[str, str]:
    return {
        "year": str(item.year),
        "title": item.title,
        "document_type": item.document_type,
        "lead_agency": item.lead_agency,
        "target_session": item.target_session or "",
        "target_date": item.target_date.isoformat() if item.target_date else "",
        "origin": item.origin,
    }


def _submitted() -> dict[str, str]:
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    values["origin"] = request.form.get("origin", "plan").strip()
    return values


def _fields(values: dict[str, str]) -> tuple[plan_entry.PlanItemFields, dict[str, str]]:
    """The typed fields, and the problems of fields that could not even be read."""
    unreadable: dict[str, str] = {}
    raw_year = values["year"]
    year = int(raw_year) if raw_year.isdigit() and len(raw_year) <= 4 else 0
    if not year:
        unreadable["year"] = _("The year is a year such as 2027.")
    try:
        target_date = parse_date(values["target_date"])
    except ValueError:
        target_date = None
        unreadable["target_date"] = _("The target date is a date such as 15/07/2026.")
    fields = plan_entry.PlanItemFields(
        year=year,
        title=values["title"][: plan_entry.MAX_TITLE + 1],
        document_type=values["document_type"] or None,
        lead_agency=values["lead_agency"] or None,
        target_session=values["target_session"] or None,
        target_date=target_date,
        origin=values["origin"],
    )
    return fields, unreadable


def _form(
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
    item: PlanItem | None = None,
    started: bool = False,
) -> Any:
    with lifecycle().db.read() as session:
        organisations = active_organisations(session)
    return render_template(
        "plan/item_form.html",
        item=item,
        values=values,
        errors=errors,
        started=started,
        organisations=organisations,
        document_types=DOCUMENT_TYPES,
        origins=plan_entry.ORIGINS,
    ), status


def _save(item_id: int | None) -> tuple[PlanItem | None, dict[str, str], bool]:
    """Check and save the submitted item; the saved item, or the problems by field."""
    values = _submitted()
    fields, errors = _fields(values)
    actor = current_actor()
    try:
        with lifecycle().db.write() as session:
            _require_editor(session)
            item = session.get(PlanItem, item_id) if item_id is not None else None
            if item_id is not None and item is None:
                abort(404)
            started = item is not None and plan_entry.draft_of_item(session, item.id) is not None
            problems = plan_entry.item_problems(session, fields, item)
            for name, message in problems.items():
                errors.setdefault(name, localize(message))
            if errors:
                return None, errors, started
            if item is None:
                item = plan_entry.create_item(session, actor, fields)
            else:
                plan_entry.update_item(session, actor, item, fields)
            session.expunge(item)
            return item, {}, started
    except IntegrityError as exc:
        message = _("Someone else changed this at the same time; reload and try again.")
        raise Conflict(message) from exc


@bp.route("/plan/items/new", methods=["GET", "POST"])
@login_required
def new_item() -> Any:
    if request.method == "GET":
        with lifecycle().db.read() as session:
            _require_editor(session)
        year = request.args.get("year", "")
        default = str(vietnam_date(clock.now()).year)
        values = {"year": year if year.isdigit() else default, "origin": "plan"}
        return _form(values, {}, 200)
    item, errors, _started = _save(None)
    if item is None:
        return _form(_submitted(), errors, 422)
    flash(_("The item was entered into the annual plan %(year)s.", year=item.year), "info")
    return redirect(url_for("plan.index", year=item.year))


@bp.route("/plan/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(item_id: int) -> Any:
    if request.method == "GET":
        with lifecycle().db.read() as session:
            _require_editor(session)
            item = session.get(PlanItem, item_id)
            if item is None:
                abort(404)
            started = plan_entry.draft_of_item(session, item.id) is not None
            session.expunge(item)
        return _form(_values_of(item), {}, 200, item, started)
    saved, errors, started = _save(item_id)
    if saved is None:
        with lifecycle().db.read() as session:
            item = session.get(PlanItem, item_id)
            assert item is not None  # noqa: S101 - _save answered 404 otherwise
            session.expunge(item)
        values = _submitted()
        if started:  # the disabled fields are not submitted: show what stays
            values["document_type"], values["lead_agency"] = item.document_type, item.lead_agency
        return _form(values, errors, 422, item, started)
    flash(_("The plan item was saved."), "info")
    return redirect(url_for("plan.index", year=saved.year))
