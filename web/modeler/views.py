"""The modeler's pages: the list of draft models, a new model from the template, an import,
and the editor opened on a deployed version or on a draft.

Only process owners and administrators (:data:`web.access.MODEL_EDITORS`) get in; everybody
else gets 403. The editor page hands its script a JSON configuration (URLs, the translated
words) in a non-executable ``<script type="application/json">``, so the
Content-Security-Policy can keep forbidding inline scripts.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from engine import EngineError
from web.access import MODEL_EDITORS
from web.auth import current_actor, roles_required
from web.extensions import lifecycle
from web.i18n import localize
from web.modeler import bp
from web.modeler.catalog import catalog as modeler_catalog
from web.modeler.texts import texts
from workflows import model_drafts

editors_only = roles_required(*sorted(MODEL_EDITORS))
PROCESS_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,99}$")
MAX_IMPORT_BYTES = 2 * 1024 * 1024
BIG_ID = 9223372036854775807


SERVER_LINT = "/api/v1/models/lint"


def _server_lint_url() -> str | None:
    """The server's lint endpoint when this installation has it; the editor falls back to
    :func:`web.modeler.drafting.check` (the deploy validation, rolled back) otherwise."""
    rules = current_app.url_map.iter_rules()
    return SERVER_LINT if any(r.rule == SERVER_LINT for r in rules) else None


def editor_config(
    *,
    key: str,
    xml_url: str,
    draft_id: int | None = None,
    base_definition_id: int | None = None,
    draft_forms: list[str] | None = None,
) -> dict[str, Any]:
    """What the editor's script needs: where to read and write, and its translated words."""
    return {
        "key": key,
        "draft_id": draft_id,
        "draft_forms": draft_forms or [],
        "base_definition_id": base_definition_id,
        "catalog": modeler_catalog(),
        "texts": texts(),
        "urls": {
            "xml": xml_url,
            "create": url_for("modeler.create_draft"),
            "save": url_for("modeler.save_draft", draft_id=draft_id) if draft_id else None,
            "check": url_for("modeler.check"),
            "check_expression": url_for("modeler.check_expression"),
            "deploy": url_for("modeler.deploy"),
            "form": url_for("modeler.form_fields", name="__name__"),
            "save_form": url_for("modeler.save_form", draft_id=0, name="__name__").replace(
                "/drafts/0/", "/drafts/__draft__/"
            ),
            "lint": _server_lint_url(),
        },
    }


@bp.get("")
@editors_only
def index() -> Any:
    with lifecycle().db.read() as session:
        drafts = model_drafts.listed(session)
    latest = lifecycle().engine.definitions(latest_only=True)
    processes = sorted((d for d in latest if d.kind == "bpmn"), key=lambda d: d.key)
    decisions = sorted((d for d in latest if d.kind == "dmn"), key=lambda d: d.key)
    return render_template(
        "modeler/index.html", drafts=drafts, processes=processes, decisions=decisions
    )


@bp.get("/catalog.json")
@editors_only
def catalog() -> Response:
    return jsonify(modeler_catalog())


def _created(xml: str, message: str) -> Any:
    with lifecycle().db.write() as session:
        draft = model_drafts.save(session, current_actor().id, xml)
        draft_id = draft.id
    flash(message, "info")
    return redirect(url_for("modeler.edit_draft", draft_id=draft_id))


def _refused(message: str) -> Any:
    flash(message, "error")
    return redirect(url_for("modeler.index")), 303


@bp.post("/new")
@editors_only
def new_model() -> Any:
    key = (request.form.get("key") or "").strip()
    name = (request.form.get("name") or "").strip()[:200]
    if not PROCESS_KEY.match(key):
        return _refused(
            _(
                "The process key starts with a letter and has only letters, digits, _ and - "
                "(at most 100 characters)."
            )
        )
    xml = render_template(
        "modeler/new_process.bpmn",
        key=key,
        name=name or key,
        lane=_("Lead drafting agency"),
        start=_("Draft created"),
        task=_("Prepare the draft"),
        end=_("Done"),
    )
    return _created(xml, _("A new draft model was created from the template."))


@bp.post("/import")
@editors_only
def import_model() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _refused(_("Choose a .bpmn file to import."))
    name = PurePosixPath(upload.filename.replace("\\", "/")).name
    if not name.lower().endswith((".bpmn", ".xml")):
        return _refused(_("%(name)s is not a .bpmn file.", name=name))
    raw = upload.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        return _refused(_("The file is too large"))
    try:
        xml = raw.decode("utf-8")
        return _created(xml, _("The file was imported as a draft model."))
    except UnicodeDecodeError:
        return _refused(_("The file is not UTF-8 text."))
    except EngineError as exc:
        return _refused(localize(exc.message))


@bp.get(f"/definitions/<int(max={BIG_ID}):definition_id>")
@editors_only
def edit_definition(definition_id: int) -> Any:
    definition = lifecycle().engine.definition(definition_id)
    if definition.kind != "bpmn":
        abort(404)
    config = editor_config(
        key=definition.key,
        xml_url=url_for("models.source", definition_id=definition.id),
        base_definition_id=definition.id,
    )
    return render_template("modeler/edit.html", config=config, definition=definition, draft=None)


@bp.get("/drafts/<int:draft_id>")
@editors_only
def edit_draft(draft_id: int) -> Any:
    with lifecycle().db.read() as session:
        draft = model_drafts.get(session, draft_id)
    if draft.kind == "dmn":
        return redirect(url_for("modeler.dmn_draft_page", draft_id=draft.id))
    config = editor_config(
        key=draft.key,
        xml_url=url_for("modeler.draft_xml", draft_id=draft.id),
        draft_id=draft.id,
        base_definition_id=draft.base_definition_id,
        draft_forms=sorted(draft.forms or {}),
    )
    return render_template("modeler/edit.html", config=config, definition=None, draft=draft)


@bp.get("/drafts/<int:draft_id>/xml")
@editors_only
def draft_xml(draft_id: int) -> Response:
    with lifecycle().db.read() as session:
        draft = model_drafts.get(session, draft_id)
    response = Response(draft.xml, mimetype="application/xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/drafts/<int:draft_id>/delete")
@editors_only
def delete_draft(draft_id: int) -> Any:
    with lifecycle().db.write() as session:
        model_drafts.delete(session, current_actor().id, draft_id, reason="deleted")
    flash(_("The draft model was deleted."), "info")
    return redirect(url_for("modeler.index"))
