"""Migrating running drafts to the newest version of a process model (process owners).

The page is the engine's dry run for every running instance of the process on an older
version: how many are on each version, which can move and, for each that cannot, why. The
owner moves one, a selection or all that can; each instance moves in a transaction of its
own and is audited (action ``migrate``), and the result lists every instance.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.access import MODEL_EDITORS
from web.auth import current_actor, roles_required
from web.extensions import lifecycle

bp = Blueprint("model_migration", __name__)
editors_only = roles_required(*sorted(MODEL_EDITORS))
MAX_KEY = 200


@bp.get("/models/<key>/migration")
@editors_only
def show(key: str) -> Any:
    engine = lifecycle().engine
    plan = engine.migration_plan(key[:MAX_KEY], actor=current_actor())
    return render_template(
        "models/migration.html",
        plan=plan,
        target=engine.definition(plan.to_definition_id),
    )


@bp.post("/models/<key>/migration")
@editors_only
def migrate(key: str) -> Any:
    key = key[:MAX_KEY]
    chosen: list[int] | None
    if request.form.get("all") == "1":
        chosen = None
    else:
        chosen = [int(v) for v in request.form.getlist("instance_id") if v.isdigit()][:1000]
        if not chosen:
            flash(_("Choose the drafts to migrate, or migrate all that can."), "error")
            return redirect(url_for("model_migration.show", key=key))
    result = lifecycle().engine.migrate_instances(key, actor=current_actor(), instance_ids=chosen)
    for report in result.reports:
        if report.possible:
            flash(
                _(
                    "Instance %(id)s moved from version %(old)s to version %(new)s.",
                    id=report.instance_id,
                    old=report.from_version,
                    new=report.to_version,
                ),
                "info",
            )
        else:
            flash(
                _(
                    "Instance %(id)s was not moved: %(why)s",
                    id=report.instance_id,
                    why="; ".join(report.refusals),
                ),
                "error",
            )
    if not result.reports:
        flash(_("No draft could be migrated."), "info")
    return redirect(url_for("model_migration.show", key=key))
