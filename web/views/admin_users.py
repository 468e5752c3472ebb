"""Administration of users: accounts, passwords, activation, role grants."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from sqlalchemy import select

from engine import EngineError
from web import params
from web.auth import current_actor
from web.extensions import lifecycle
from web.i18n import localize
from web.views.admin_common import (
    FormError,
    admin_only,
    bp,
    checked_password,
    form_text,
    paged,
    record,
    write_session,
)
from workflows import accounts, search
from workflows.directory import Organisation, RoleAssignment, User
from workflows.roles import roles_by_code


# Users -----------------------------------------------------------------------------------------
def _users_page(error: str | None = None, values: dict[str, str] | None = None) -> Any:
    text = (request.args.get("q") or "").strip()[:100]
    organisation = (request.args.get("organisation") or "").strip()[:40]
    page = params.integer("page", 1, minimum=1, maximum=100_000) or 1
    query = select(User).order_by(User.username)
    matching = search.contains(User.search_text, text)
    if matching is not None:
        query = query.where(matching)
    if organisation:
        query = query.where(
            User.id.in_(
                select(RoleAssignment.user_id).where(
                    RoleAssignment.organisation_code == organisation
                )
            )
        )
    with lifecycle().db.read() as session:
        rows, total, pages = paged(session, query, page)
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
        roles = list(roles_by_code(session).values())
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
        roles=roles,
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
        full_name = form_text("full_name", _("Full name"), 200)
        email = form_text("email", _("E-mail"), 200, required=False)
        if email and "@" not in email:
            raise FormError(_("The e-mail address is not valid."))
        password = checked_password(form.get("password", ""))
        if bool(role) != bool(organisation):
            raise FormError(_("Choose both a role and an organisation, or neither."))
        with write_session() as session:
            user = accounts.create_user(
                session,
                form.get("username", ""),
                full_name,
                password,
                [(role, organisation)] if role else [],
                email=email or None,
                language=form.get("language", "vi"),
            )
            record(session, f"user:{user.username}", "create", role=role, organisation=organisation)
            user_id = user.id
    except FormError as exc:
        return _users_page(str(exc), form.to_dict())
    except EngineError as exc:
        return _users_page(localize(exc.message), form.to_dict())
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
        roles = list(roles_by_code(session).values())
    return render_template(
        "admin/user.html",
        account=user,
        grants=grants,
        organisations=organisations,
        roles=roles,
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
        with write_session() as session:
            user = session.get(User, user_id)
            if user is None:
                abort(404)
            is_self = user.username == current_actor().id
            if action == "active":
                active = form.get("active") == "1"
                if is_self and not active:
                    raise FormError(_("You cannot deactivate your own account."))
                accounts.set_active(session, user, active, by=current_actor().id)
                detail: dict[str, Any] = {"active": active}
                message = _("Account activated.") if active else _("Account deactivated.")
            elif action == "password":
                accounts.set_password(
                    session, user, checked_password(form.get("password", "")), by=current_actor().id
                )
                if is_self:  # resetting one's own password keeps this session
                    cookie_session["epoch"] = user.auth_epoch
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
            record(session, f"user:{user.username}", action, **detail)
    except FormError as exc:
        return _user_page(user_id, str(exc))
    except EngineError as exc:
        return _user_page(user_id, localize(exc.message))
    flash(message, "info")
    return redirect(url_for("admin.user", user_id=user_id))
