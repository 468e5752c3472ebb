"""Administration: organisations, users and their roles, the working-day calendar, time limits.

Administrators only. Every change runs in one write transaction and is appended to the
hash-chained audit log (stream ``admin:<area>``) with who did it, since these tables have no
column for it (the calendar also keeps ``entered_by``). Time limits are data with history: a
change is a *new* rule row in force from a later date, so running drafts keep the rules they
started with; an old row is never updated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from itertools import groupby
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from engine import Conflict, EngineError, audit, clock
from web import params
from web.auth import current_actor, roles_required
from web.extensions import lifecycle
from workflows import accounts
from workflows.calendar import vietnam_date
from workflows.calendar_store import CalendarDay, remove_day, set_day
from workflows.deadlines import ANY, PROCEDURES, UNITS, DeadlineRule
from workflows.directory import Organisation, RoleAssignment, User
from workflows.drafts import DOCUMENT_TYPES
from workflows.organisations import CHAIR_DECISION_CONSULTED_KINDS, COMMUNE_KINDS, PROVINCE_KINDS
from workflows.roles import ROLES

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = roles_required("admin")

CODE = re.compile(r"^[A-Z0-9_]{1,40}$")
KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
STEP = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_PASSWORD = 200
KNOWN_KINDS = frozenset(
    {"province", "commune", "department", *PROVINCE_KINDS.values(), *COMMUNE_KINDS.values()}
    | set(CHAIR_DECISION_CONSULTED_KINDS)
)


class FormError(Exception):
    """Input the administrator must correct (status 422, shown on the page)."""


@contextmanager
def _write() -> Iterator[Session]:
    try:
        with lifecycle().db.write() as session:
            yield session
    except IntegrityError as exc:
        message = _("Someone else changed this at the same time; reload and try again.")
        raise Conflict(message) from exc


def _record(session: Session, area: str, action: str, **data: Any) -> None:
    audit.append_stream_event(
        session, f"admin:{area}", actor=current_actor().id, action=action, data=data
    )


def _paged(session: Session, query: Any, page: int) -> tuple[list[Any], int, int]:
    size = int(current_app.config.get("PAGE_SIZE", 25))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = list(session.execute(query.limit(size).offset((page - 1) * size)).scalars())
    return rows, int(total), max(1, -(-int(total) // size))


def _text(name: str, label: str, limit: int, *, required: bool = True) -> str:
    value = request.form.get(name, "").strip()
    if required and not value:
        raise FormError(_("%(field)s is required.", field=label))
    if len(value) > limit:
        raise FormError(_("%(field)s is at most %(n)s characters.", field=label, n=limit))
    return value


def _date(name: str, label: str) -> date:
    value = request.form.get(name, "").strip()
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise FormError(_("%(field)s is a date such as 2026-09-02.", field=label)) from exc
    if not 2000 <= day.year <= 2100:
        raise FormError(_("%(field)s is between the years 2000 and 2100.", field=label))
    return day


def _password(value: str) -> str:
    # Sign-in reads at most 1000 characters; a longer password could never be typed in.
    if not accounts.MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise FormError(
            _(
                "The password needs at least %(n)s and at most %(m)s characters.",
                n=accounts.MIN_PASSWORD,
                m=MAX_PASSWORD,
            )
        )
    return value


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
    if text:
        like = f"%{text}%"
        query = query.where(or_(Organisation.code.ilike(like), Organisation.name_vi.ilike(like)))
    if kind:
        query = query.where(Organisation.kind == kind)
    with lifecycle().db.read() as session:
        rows, total, pages = _paged(session, query, page)
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
    name_vi = _text("name_vi", _("Vietnamese name"), 300)
    name_en = _text("name_en", _("English name"), 300, required=False) or name_vi
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
        with _write() as session:
            if session.get(Organisation, code) is not None:
                raise FormError(_("The code %(code)s is taken.", code=code))
            fields = _organisation_fields(session, code)
            session.add(Organisation(code=code, active=True, **fields))
            _record(session, "organisation", "create", code=code, **fields)
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
        with _write() as session:
            row = session.get(Organisation, code)
            if row is None:
                abort(404)
            fields = _organisation_fields(session, code)
            for name, value in fields.items():
                setattr(row, name, value)
            _record(session, "organisation", "edit", code=code, **fields)
    except FormError as exc:
        return _organisation_page(code, str(exc))
    flash(_("Organisation %(code)s saved.", code=code), "info")
    return redirect(url_for("admin.organisation", code=code))


@bp.post("/organisations/<code>/active")
@admin_only
def organisation_active(code: str) -> Any:
    active = request.form.get("active") == "1"
    with _write() as session:
        row = session.get(Organisation, code)
        if row is None:
            abort(404)
        row.active = active
        _record(session, "organisation", "activate" if active else "deactivate", code=code)
    flash(
        _(
            "Organisation %(code)s is now %(state)s.",
            code=code,
            state=_("active") if active else _("inactive"),
        ),
        "info",
    )
    return redirect(url_for("admin.organisation", code=code))


# Users -----------------------------------------------------------------------------------------
def _users_page(error: str | None = None, values: dict[str, str] | None = None) -> Any:
    text = (request.args.get("q") or "").strip()[:100]
    organisation = (request.args.get("organisation") or "").strip()[:40]
    page = params.integer("page", 1, minimum=1, maximum=100_000) or 1
    query = select(User).order_by(User.username)
    if text:
        like = f"%{text}%"
        query = query.where(or_(User.username.ilike(like), User.full_name.ilike(like)))
    if organisation:
        query = query.where(
            User.id.in_(
                select(RoleAssignment.user_id).where(
                    RoleAssignment.organisation_code == organisation
                )
            )
        )
    with lifecycle().db.read() as session:
        rows, total, pages = _paged(session, query, page)
        grants = session.execute(
            select(RoleAssignment).where(RoleAssignment.user_id.in_([u.id for u in rows]))
        ).scalars()
        by_user: dict[int, list[RoleAssignment]] = {}
        for grant in grants:
            by_user.setdefault(grant.user_id, []).append(grant)
        organisations = list(
            session.execute(
                select(Organisation).where(Organisation.active).order_by(Organisation.code)
            ).scalars()
        )
    return render_template(
        "admin/users.html",
        users=rows,
        grants=by_user,
        total=total,
        page=page,
        pages=pages,
        text=text,
        organisation=organisation,
        organisations=organisations,
        roles=ROLES,
        error=error,
        values=values or {},
    ), (422 if error else 200)


@bp.get("/users")
@admin_only
def users() -> Any:
    return _users_page()


@bp.post("/users")
@admin_only
def create_user() -> Any:
    form = request.form
    role, organisation = form.get("role", ""), form.get("organisation", "")
    try:
        full_name = _text("full_name", _("Full name"), 200)
        email = _text("email", _("E-mail"), 200, required=False)
        if email and "@" not in email:
            raise FormError(_("The e-mail address is not valid."))
        password = _password(form.get("password", ""))
        if bool(role) != bool(organisation):
            raise FormError(_("Choose both a role and an organisation, or neither."))
        with _write() as session:
            user = accounts.create_user(
                session,
                form.get("username", ""),
                full_name,
                password,
                [(role, organisation)] if role else [],
                email=email or None,
                language=form.get("language", "vi"),
            )
            _record(
                session, f"user:{user.username}", "create", role=role, organisation=organisation
            )
            user_id = user.id
    except FormError as exc:
        return _users_page(str(exc), form.to_dict())
    except EngineError as exc:
        return _users_page(exc.message, form.to_dict())
    flash(_("User created."), "info")
    return redirect(url_for("admin.user", user_id=user_id))


def _user_page(user_id: int, error: str | None = None) -> Any:
    with lifecycle().db.read() as session:
        user = session.get(User, user_id)
        if user is None:
            abort(404)
        grants = list(
            session.execute(
                select(RoleAssignment)
                .where(RoleAssignment.user_id == user_id)
                .order_by(RoleAssignment.role, RoleAssignment.organisation_code)
            ).scalars()
        )
        organisations = list(
            session.execute(
                select(Organisation).where(Organisation.active).order_by(Organisation.code)
            ).scalars()
        )
    return render_template(
        "admin/user.html",
        account=user,
        grants=grants,
        organisations=organisations,
        roles=ROLES,
        error=error,
        is_self=user.username == current_actor().id,
    ), (422 if error else 200)


@bp.get("/users/<int(max=2147483647):user_id>")
@admin_only
def user(user_id: int) -> Any:
    return _user_page(user_id)


@bp.post("/users/<int(max=2147483647):user_id>/<action>")
@admin_only
def user_action(user_id: int, action: str) -> Any:
    if action not in ("active", "password", "grant", "revoke"):
        abort(404)
    form = request.form
    try:
        with _write() as session:
            user = session.get(User, user_id)
            if user is None:
                abort(404)
            is_self = user.username == current_actor().id
            if action == "active":
                active = form.get("active") == "1"
                if is_self and not active:
                    raise FormError(_("You cannot deactivate your own account."))
                user.active = active
                detail: dict[str, Any] = {"active": active}
                message = _("Account activated.") if active else _("Account deactivated.")
            elif action == "password":
                user.password_hash = accounts.hash_password(_password(form.get("password", "")))
                user.failed_logins, user.locked_until = 0, None
                detail, message = {}, _("Password reset. Give the new password to the user.")
            elif action == "grant":
                accounts.grant_role(
                    session, user, form.get("role", ""), form.get("organisation", "")
                )
                detail = {"role": form.get("role"), "organisation": form.get("organisation")}
                message = _("Role granted.")
            else:
                if is_self and form.get("role") == "admin":
                    raise FormError(_("You cannot take the administrator role from yourself."))
                accounts.revoke_role(
                    session, user, form.get("role", ""), form.get("organisation", "")
                )
                detail = {"role": form.get("role"), "organisation": form.get("organisation")}
                message = _("Role revoked.")
            _record(session, f"user:{user.username}", action, **detail)
    except FormError as exc:
        return _user_page(user_id, str(exc))
    except EngineError as exc:
        return _user_page(user_id, exc.message)
    flash(message, "info")
    return redirect(url_for("admin.user", user_id=user_id))


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
        day = _date("day", _("Day"))
        with _write() as session:
            if action == "remove":
                remove_day(session, day)
            else:
                kind, name = request.form.get("kind", ""), _text("name", _("Name"), 200)
                set_day(session, day, kind, name, current_actor().id)
            _record(session, "calendar", action, day=day.isoformat(), kind=request.form.get("kind"))
    except FormError as exc:
        return _calendar_page(year, str(exc), request.form.to_dict())
    except EngineError as exc:
        return _calendar_page(year, exc.message, request.form.to_dict())
    lifecycle().calendar.refresh()
    flash(_("The calendar was changed; deadlines computed from now on use it."), "info")
    return redirect(url_for("admin.calendar", year=day.year))


# Deadline rules --------------------------------------------------------------------------------
def _rules_page(error: str | None = None, values: dict[str, str] | None = None) -> Any:
    today = vietnam_date(clock.now())
    with lifecycle().db.read() as session:
        rules = list(
            session.execute(
                select(DeadlineRule).order_by(
                    DeadlineRule.step,
                    DeadlineRule.document_type,
                    DeadlineRule.procedure,
                    DeadlineRule.effective_from.desc(),
                )
            ).scalars()
        )
        source = None
        copy_of = request.args.get("from") or ""
        if values is None and copy_of.isdigit() and len(copy_of) <= 9:
            source = session.get(DeadlineRule, int(copy_of))
    in_force: dict[tuple[str, str, str], int] = {}
    for rule in rules:  # newest first within a key: the first one already in force wins
        key = (rule.step, rule.document_type, rule.procedure)
        if rule.effective_from <= today and key not in in_force:
            in_force[key] = rule.id
    if source is not None:
        values = {
            c: str(getattr(source, c) or "")
            for c in ("document_type", "procedure", "step", "amount", "unit", "legal_basis", "note")
        }
    return render_template(
        "admin/rules.html",
        groups=[(s, list(g)) for s, g in groupby(rules, key=lambda r: r.step)],
        in_force=set(in_force.values()),
        today=today,
        document_types=[ANY, *DOCUMENT_TYPES],
        procedures=[ANY, *PROCEDURES],
        units=UNITS,
        steps=sorted({r.step for r in rules}),
        error=error,
        values=values or {},
    ), (422 if error else 200)


@bp.get("/rules")
@admin_only
def rules() -> Any:
    return _rules_page()


@bp.post("/rules")
@admin_only
def add_rule() -> Any:
    form = request.form
    try:
        document_type, procedure = form.get("document_type", ""), form.get("procedure", "")
        step, unit = form.get("step", "").strip(), form.get("unit", "")
        if document_type != ANY and document_type not in DOCUMENT_TYPES:
            raise FormError(_("Choose a document type, or * for every type."))
        if procedure != ANY and procedure not in PROCEDURES:
            raise FormError(_("Choose a procedure, or * for both."))
        if not STEP.match(step):
            raise FormError(_("The step is a name such as appraisal."))
        if unit not in UNITS:
            raise FormError(_("Choose working days or calendar days."))
        amount = int(form.get("amount", "")) if form.get("amount", "").isdigit() else -1
        if not 0 <= amount <= 3650:
            raise FormError(_("The time limit is a whole number of days from 0 to 3650."))
        effective_from = _date("effective_from", _("In force from"))
        basis = _text("legal_basis", _("Legal basis"), 2000)
        note = _text("note", _("Note"), 2000, required=False) or None
        with _write() as session:
            latest = session.scalar(
                select(func.max(DeadlineRule.effective_from)).where(
                    DeadlineRule.document_type == document_type,
                    DeadlineRule.procedure == procedure,
                    DeadlineRule.step == step,
                )
            )
            if latest is not None and effective_from <= latest:
                raise FormError(
                    _(
                        "A new version must apply from a date after %(day)s, the date "
                        "of the latest version.",
                        day=latest.strftime("%d/%m/%Y"),
                    )
                )
            rule = DeadlineRule(
                document_type=document_type,
                procedure=procedure,
                step=step,
                amount=amount,
                unit=unit,
                legal_basis=basis,
                confirmed=form.get("confirmed") == "1",
                note=note,
                effective_from=effective_from,
            )
            session.add(rule)
            session.flush()
            _record(
                session,
                "deadline_rule",
                "add",
                rule_id=rule.id,
                step=step,
                document_type=document_type,
                procedure=procedure,
                amount=amount,
                unit=unit,
                effective_from=effective_from.isoformat(),
            )
    except FormError as exc:
        return _rules_page(str(exc), form.to_dict())
    flash(_("The new rule version was added. Drafts already running keep their rules."), "info")
    return redirect(url_for("admin.rules"))
