"""The diff page: two versions of a process model, or a draft model and the version it came
from, drawn side by side with what was added, removed and changed coloured, and the list of
changes (properties included) computed by :mod:`web.modeler.changes`.

Reached from the versions list of a model (``compare with previous`` and a chooser of two
versions). Only process owners and administrators get in. Two models with different keys
are not two versions of one model: 400 with a message; an unknown version or draft: 404.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import DeploymentError, NotFound
from engine.definitions import DefinitionInfo
from web.extensions import lifecycle
from web.i18n import localize
from web.modeler import bp
from web.modeler.changes import ModelChanges, compare
from web.modeler.views import BIG_ID, editors_only
from workflows import model_drafts


def diff_texts() -> dict[str, str]:
    """The words the diff page's script shows (see :mod:`web.modeler.texts` for why)."""
    return {
        "The diagram could not be shown.": _("The diagram could not be shown."),
        "Only on the diagram": _("Only on the diagram"),
    }


def _bpmn(definition_id: int) -> DefinitionInfo:
    definition = lifecycle().engine.definition(definition_id)
    if definition.kind != "bpmn":
        abort(400, _("Only BPMN process models can be compared."))
    return definition


def _changes(old_xml: str, new_xml: str) -> ModelChanges:
    try:
        return compare(old_xml, new_xml)
    except DeploymentError as exc:
        abort(400, localize(exc.message))


def _page(
    *,
    key: str,
    old: DefinitionInfo,
    new: DefinitionInfo | None,
    changes: ModelChanges,
    old_xml: str,
    new_xml: str,
    draft: model_drafts.ModelDraft | None = None,
) -> Any:
    versions = sorted(lifecycle().engine.definitions(key), key=lambda d: -d.version)
    return render_template(
        "modeler/compare.html",
        key=key,
        old=old,
        new=new,
        changes=changes,
        versions=versions,
        draft=draft,
        config={"old_xml": old_xml, "new_xml": new_xml, "texts": diff_texts()},
    )


@bp.get(f"/compare/<int(max={BIG_ID}):old_id>/<int(max={BIG_ID}):new_id>")
@editors_only
def compare_versions(old_id: int, new_id: int) -> Any:
    old, new = _bpmn(old_id), _bpmn(new_id)
    if old.key != new.key:
        abort(
            400,
            _(
                "%(old)s and %(new)s are different models; choose two versions of one model.",
                old=old.key,
                new=new.key,
            ),
        )
    engine = lifecycle().engine
    changes = _changes(engine.definition_xml(old.id), engine.definition_xml(new.id))
    return _page(
        key=old.key,
        old=old,
        new=new,
        changes=changes,
        old_xml=url_for("models.source", definition_id=old.id),
        new_xml=url_for("models.source", definition_id=new.id),
    )


@bp.get("/compare")
@editors_only
def choose_versions() -> Any:
    """The versions list's chooser: a GET form with ``old`` and ``new`` version ids."""
    try:
        old_id, new_id = int(request.args["old"]), int(request.args["new"])
    except (KeyError, ValueError):
        abort(400, _("Choose two versions to compare."))
    if not (0 < old_id <= BIG_ID and 0 < new_id <= BIG_ID):
        abort(404)
    return redirect(url_for("modeler.compare_versions", old_id=old_id, new_id=new_id))


@bp.get("/drafts/<int(max=2147483647):draft_id>/compare")
@editors_only
def compare_draft(draft_id: int) -> Any:
    """A draft model against the version it was opened from (or, for an imported draft of a
    deployed key, the newest version of that key)."""
    engine = lifecycle().engine
    with lifecycle().db.read() as session:
        draft = model_drafts.get(session, draft_id)
    base_id = draft.base_definition_id
    if base_id is None:
        versions = [d for d in engine.definitions(draft.key) if d.kind == "bpmn"]
        if not versions:
            abort(404, _("The draft model has no deployed version to compare with."))
        base_id = max(versions, key=lambda d: d.version).id
    try:
        base = _bpmn(base_id)
    except NotFound:
        abort(404)
    changes = _changes(engine.definition_xml(base.id), draft.xml)
    return _page(
        key=draft.key,
        old=base,
        new=None,
        changes=changes,
        draft=draft,
        old_xml=url_for("models.source", definition_id=base.id),
        new_xml=url_for("modeler.draft_xml", draft_id=draft.id),
    )
