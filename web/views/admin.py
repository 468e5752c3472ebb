"""Administration: organisations, users and their roles, the working-day calendar, time limits.

Administrators only. Every change runs in one write transaction and is appended to the
hash-chained audit log (stream ``admin:<area>``) with who did it, since these tables have no
column for it (the calendar also keeps ``entered_by``). Time limits are data with history: a
change is a *new* rule row in force from a later date, so running drafts keep the rules they
started with; an old row is never updated.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from web import params
from web.extensions import lifecycle
from web.views.admin_common import (
    CODE,
    KIND,
    KNOWN_KINDS,
    FormError,
    admin_only,
    bp,
    form_text,
    paged,
    record,
    write_session,
)
from workflows import search
from workflows.calendar_store import CalendarDay
from workflows.deadlines import DeadlineRule
from workflows.directory import Organisation, RoleAssignment, User


@bp.get("")
@admin_only
def index() -> Any:
    with lifecycle().db.read() as session:
        counts = {
            "organisations": session.scalar(select(func.count()).select_from(Organisation)),
            "users": session.scalar(select(func.count()).select_from(User)),
            "days": session.scalar(select(func.count()).select_from(CalendarDay)),
            "unconfirmed": session.scalar(
                select(func.count())
                .select_from(DeadlineRule)
                .where(DeadlineRule.confirmed.is_(False))
            ),
        }
    return render_template("admin/index.html", counts=counts)


# Organisations ---------------------------------------------------------------------------------
def _organisations_page(error: str | None = None, values: dict[str, str] | None = None) -> Any:
    text = (request.args.get("q") or "").strip()[:100]
    kind = (request.args.get("kind") or "").strip()[:40]
    page = params.integer("page", 1, minimum=1, maximum=100_000) or 1
    query = select(Organisation).order_by(Organisation.code)
    matching = search.contains(Organisation.search_text, text)
    if matching is not None:
        query = query.where(matching)
    if kind:
        query = query.where(Organisation.kind == kind)
    with lifecycle().db.read() as session:
        rows, total, pages = paged(session, query, page)
        everything = list(
            session.execute(select(Organisation).order_by(Organisation.code)).scalars()
        )
    kinds = sorted(KNOWN_KINDS | {o.kind for o in everything})
    return render_template(
        "admin/organisations.html",
        organisations=rows,
        total=total,
        page=page,
        pages=pages,
        text=text,
        kind=kind,
        kinds=kinds,
        parents=everything,
        error=error,
        values=values or {},
    ), (422 if error else 200)


def _organisation_fields(session: Session, code: str) -> dict[str, Any]:
    kind = request.form.get("kind", "").strip()
    if not KIND.match(kind):
        raise FormError(_("The kind uses lower-case letters, digits and '_' (e.g. department)."))
    parent = request.form.get("parent_code", "").strip() or None
    seen = {code}
    ancestor = session.get(Organisation, parent) if parent else None
    if parent and ancestor is None:
        raise FormError(_("The parent organisation does not exist."))
    while ancestor is not None:
        if ancestor.code in seen:
            raise FormError(_("An organisation cannot be placed under itself."))
        seen.add(ancestor.code)
        ancestor = session.get(Organisation, ancestor.parent_code) if ancestor.parent_code else None
    name_vi = form_text("name_vi", _("Vietnamese name"), 300)
    name_en = form_text("name_en", _("English name"), 300, required=False) or name_vi
    return {"name_vi": name_vi, "name_en": name_en, "kind": kind, "parent_code": parent}


@bp.get("/organisations")
@admin_only
def organisations() -> Any:
    return _organisations_page()


@bp.post("/organisations")
@admin_only
def create_organisation() -> Any:
    code = request.form.get("code", "").strip().upper()
    try:
        if not CODE.match(code):
            raise FormError(_("The code uses capital letters, digits and '_' (at most 40)."))
        with write_session() as session:
            if session.get(Organisation, code) is not None:
                raise FormError(_("The code %(code)s is taken.", code=code))
            fields = _organisation_fields(session, code)
            session.add(Organisation(code=code, active=True, **fields))
            record(session, "organisation", "create", code=code, **fields)
    except FormError as exc:
        return _organisations_page(str(exc), request.form.to_dict())
    flash(_("Organisation %(code)s created.", code=code), "info")
    return redirect(url_for("admin.organisations"))


def _organisation_page(code: str, error: str | None = None) -> Any:
    with lifecycle().db.read() as session:
        organisation = session.get(Organisation, code)
        if organisation is None:
            abort(404)
        parents = list(session.execute(select(Organisation).order_by(Organisation.code)).scalars())
        members = session.scalar(
            select(func.count())
            .select_from(RoleAssignment)
            .where(RoleAssignment.organisation_code == code)
        )
    kinds = sorted(KNOWN_KINDS | {o.kind for o in parents})
    return render_template(
        "admin/organisation.html",
        organisation=organisation,
        parents=parents,
        kinds=kinds,
        members=members,
        error=error,
    ), (422 if error else 200)


@bp.route("/organisations/<code>", methods=["GET", "POST"])
@admin_only
def organisation(code: str) -> Any:
    if request.method == "GET":
        return _organisation_page(code)
    try:
        with write_session() as session:
            row = session.get(Organisation, code)
            if row is None:
                abort(404)
            fields = _organisation_fields(session, code)
            for name, value in fields.items():
                setattr(row, name, value)
            record(session, "organisation", "edit", code=code, **fields)
    except FormError as exc:
        return _organisation_page(code, str(exc))
    lifecycle().organisation_names.refresh()  # titles of steps created from now on
    flash(_("Organisation %(code)s saved.", code=code), "info")
    return redirect(url_for("admin.organisation", code=code))


@bp.post("/organisations/<code>/active")
@admin_only
def organisation_active(code: str) -> Any:
    active = request.form.get("active") == "1"
    with write_session() as session:
        row = session.get(Organisation, code)
        if row is None:
            abort(404)
        row.active = active
        record(session, "organisation", "activate" if active else "deactivate", code=code)
    flash(
        _(
            "Organisation %(code)s is now %(state)s.",
            code=code,
            state=_("active") if active else _("inactive"),
        ),
        "info",
    )
    return redirect(url_for("admin.organisation", code=code))
