"""The roles lanes may name: listed, and added by an administrator or a process owner.

Roles are data (:mod:`workflows.roles`): adding one lets a process owner draw a lane for it
and deploy, with no code change; every addition is in the administration audit trail.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import InvalidData
from web.access import MODEL_EDITORS
from web.auth import current_actor, roles_required
from web.extensions import lifecycle
from web.i18n import localize
from web.views.admin_common import bp, record, write_session
from workflows.roles import add_role, roles_by_code

editors_only = roles_required(*sorted(MODEL_EDITORS))


def _roles_page(error: InvalidData | None = None, values: dict[str, str] | None = None) -> Any:
    with lifecycle().db.read() as session:
        roles = list(roles_by_code(session).values())
    problems = (
        [localize(item["message"]) for item in error.details or [] if isinstance(item, dict)]
        if error is not None
        else []
    )
    return render_template(
        "admin/roles.html",
        roles=roles,
        problems=problems,
        values=values or {},
        show_tabs=current_actor().is_admin,
    ), (422 if error else 200)


@bp.get("/roles")
@editors_only
def roles() -> Any:
    return _roles_page()


@bp.post("/roles")
@editors_only
def add_role_page() -> Any:
    form = request.form
    code = form.get("code", "")[:100]
    try:
        with write_session() as session:
            role = add_role(
                session, code, form.get("name_vi", "")[:300], form.get("name_en", "")[:300]
            )
            record(
                session,
                "role",
                "add",
                code=role.code,
                name_vi=role.name_vi,
                name_en=role.name_en,
            )
    except InvalidData as exc:
        return _roles_page(exc, form.to_dict())
    flash(_("The role %(code)s was added: lanes may now name it.", code=role.code), "info")
    return redirect(url_for("admin.roles"))
