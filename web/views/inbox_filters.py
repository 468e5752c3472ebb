"""Saving the inbox's current filters under a name, renaming, re-sharing and deleting them.

The saved filters are further inbox tabs (:mod:`web.views.inbox` lists them); opening one is
an ordinary inbox link with its parameters. The parameters are checked here with the inbox's
own parsers before the domain (:mod:`workflows.inbox_filters`) stores them, so a saved filter
always opens; domain refusals (another owner's filter, another organisation) propagate to
the error handler as 403/404/422 with their sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from engine import InvalidData
from web import params
from web.auth import current_actor, login_required
from web.extensions import lifecycle
from web.views.inbox import FILTER_PARAMS, TABS, InboxFilters
from workflows import inbox_filters

bp = Blueprint("inbox_filters", __name__, url_prefix="/inbox/filters")


def checked_params(raw: Mapping[str, Any]) -> dict[str, str]:
    """The inbox parameters of ``raw`` (empty ones dropped), each checked as the inbox reads
    it; InvalidData (422) names an unknown parameter or a bad value."""
    unknown = sorted(set(raw) - set(FILTER_PARAMS))
    if unknown:
        raise InvalidData(
            _(
                "Unknown inbox parameter(s): %(names)s. Known: %(known)s.",
                names=", ".join(unknown),
                known=", ".join(FILTER_PARAMS),
            )
        )
    if any(not isinstance(value, str) for value in raw.values()):
        raise InvalidData(_("Every inbox parameter is a text value."))
    kept = {name: value.strip() for name, value in raw.items() if value.strip()}
    try:
        params.choice("tab", TABS, args=kept)
        InboxFilters.from_args(kept)
    except BadRequest as exc:
        raise InvalidData(str(exc.description)) from exc
    return kept


def _from_form() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in FILTER_PARAMS if name in request.form}


def _filter_id(raw: str) -> int:
    value = params.whole(raw, "id", minimum=1, maximum=2**31 - 1)
    assert value is not None  # noqa: S101 - the route gives a value
    return value


@bp.post("")
@login_required
def create() -> Any:
    """Save the list being looked at (its parameters come as hidden fields of the form)."""
    actor = current_actor()
    chosen = checked_params(_from_form())
    with lifecycle().db.write() as session:
        row = inbox_filters.create_filter(
            session,
            actor,
            request.form.get("name", ""),
            chosen,
            request.form.get("share_with") or None,
        )
        filter_id = row.id
    flash(_("Filter saved."), "info")
    return redirect(url_for("inbox.index", saved=filter_id, **chosen))


@bp.post("/<filter_id>")
@login_required
def update(filter_id: str) -> Any:
    actor = current_actor()
    with lifecycle().db.write() as session:
        row = inbox_filters.update_filter(
            session,
            actor,
            _filter_id(filter_id),
            request.form.get("name", ""),
            request.form.get("share_with") or None,
        )
        target = url_for("inbox.index", saved=row.id, **row.params)
    flash(_("Filter saved."), "info")
    return redirect(target)


@bp.post("/<filter_id>/delete")
@login_required
def delete(filter_id: str) -> Any:
    with lifecycle().db.write() as session:
        inbox_filters.delete_filter(session, current_actor(), _filter_id(filter_id))
    flash(_("Filter deleted."), "info")
    return redirect(url_for("inbox.index"))
