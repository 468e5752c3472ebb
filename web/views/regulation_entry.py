"""Entering and correcting a regulation already in force (one made before Lexflow).

Those who keep the registry — the legality inspectors and the People's Committee and People's
Council offices, in any organisation, and administrators — may enter one; the rules are
:mod:`workflows.registry_entry`'s, shared with the file import, and each field that is wrong
gets its own message (422).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.auth import current_actor, roles_required
from web.extensions import lifecycle
from web.i18n import localize
from web.views.admin_common import write_session
from web.views.regulations import KEEPER_ROLES, bp
from workflows import registry_entry
from workflows.drafts import DOCUMENT_TYPES
from workflows.registry import Regulation

keepers_only = roles_required(*KEEPER_ROLES)
MAX_SUGGESTIONS = 1000


def relation_labels() -> dict[str, str]:
    return {
        "amends": _("Amends"),
        "replaces": _("Replaces"),
        "suspends": _("Suspends"),
        "repeals": _("Repeals"),
    }


def _form(
    values: dict[str, str],
    problems: dict[str, str],
    status: int,
    regulation_id: int | None = None,
) -> Any:
    with lifecycle().db.read() as session:
        organisations = registry_entry.Organisations.load(session)
        numbers = list(
            session.execute(
                select(Regulation.number)
                .order_by(Regulation.signed_on.desc(), Regulation.id.desc())
                .limit(MAX_SUGGESTIONS)
            ).scalars()
        )
    return (
        render_template(
            "regulations/form.html",
            values=values,
            problems=problems,
            regulation_id=regulation_id,
            document_types=DOCUMENT_TYPES,
            issuing_bodies=organisations.issuing_bodies(),
            organisations=list(organisations.by_code.values()),
            relations=registry_entry.RELATIONS,
            relation_labels=relation_labels(),
            numbers=numbers,
        ),
        status,
    )


def _submitted() -> dict[str, str]:
    return {name: request.form.get(name, "")[:1000].strip() for name in registry_entry.FIELDS}


def _save(session: Session, values: dict[str, str], regulation: Regulation | None) -> Any:
    """Validate and save; the field problems (translated) when there are any."""
    entry, problems = registry_entry.validate(
        session,
        values,
        registry_entry.Organisations.load(session),
        regulation_id=regulation.id if regulation else None,
    )
    if entry is None:
        return {name: localize(message) for name, message in problems.items()}
    return registry_entry.save(session, entry, current_actor().id, regulation).id


@bp.route("/regulations/new", methods=["GET", "POST"])
@keepers_only
def new() -> Any:
    if request.method == "GET":
        return _form({}, {}, 200)
    values = _submitted()
    with write_session() as session:
        result = _save(session, values, None)
    if isinstance(result, dict):
        return _form(values, result, 422)
    flash(_("The regulation was entered in the registry."), "info")
    return redirect(url_for("regulations.show", regulation_id=result))


@bp.route("/regulations/<int(max=2147483647):regulation_id>/edit", methods=["GET", "POST"])
@keepers_only
def edit(regulation_id: int) -> Any:
    if request.method == "GET":
        with lifecycle().db.read() as session:
            regulation = session.get(Regulation, regulation_id)
            if regulation is None:
                abort(404)
            values = registry_entry.raw_of(session, regulation)
        return _form(values, {}, 200, regulation_id)
    values = _submitted()
    with write_session() as session:
        regulation = session.get(Regulation, regulation_id)
        if regulation is None:
            abort(404)
        result = _save(session, values, regulation)
    if isinstance(result, dict):
        return _form(values, result, 422, regulation_id)
    flash(_("The regulation was corrected."), "info")
    return redirect(url_for("regulations.show", regulation_id=regulation_id))
