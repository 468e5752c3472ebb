"""Process models: the deployed definitions, their diagrams, and deploying new versions.

For process owners and administrators. A deployment is immutable and versioned by the
engine; an upload that the engine refuses shows its message with the element id and line
(422) and stores nothing. The diagram is drawn in the browser by the bpmn-js viewer
(``static/js/diagram.js``), which fetches the XML from ``/models/<id>/xml``.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from engine import DeploymentError, EngineError, NotFound
from engine.definitions import DefinitionInfo
from engine.lint import LintProblem
from web import params
from web.access import MODEL_EDITORS
from web.auth import current_actor, roles_required
from web.extensions import lifecycle
from web.i18n import localize
from workflows import search

bp = Blueprint("models", __name__)
editors_only = roles_required(*sorted(MODEL_EDITORS))

KINDS = ("bpmn", "dmn", "json")
SUFFIXES = (".bpmn", ".dmn", ".json")
MAX_FILES = 50
MAX_NAME = 200  # a JSON form's file name is its key
MEDIA_TYPES = {"json": "application/json", "bpmn": "application/xml", "dmn": "application/xml"}


def _definitions_page(
    error: DeploymentError | EngineError | None = None,
    note: str = "",
    checked: list[LintProblem] | None = None,
) -> Any:
    kind = params.choice("kind", KINDS) or ""
    text = (request.args.get("q") or "").strip()[:100]
    latest_only = request.args.get("all") != "1"
    page = params.integer("page", 1, minimum=1, maximum=100_000) or 1
    definitions = lifecycle().engine.definitions(latest_only=latest_only)
    matching = [
        d
        for d in definitions
        if (not kind or d.kind == kind) and search.matches(text, d.key, d.name, d.filename)
    ]
    matching.sort(key=lambda d: (d.kind, d.key, -d.version))
    size = int(current_app.config.get("PAGE_SIZE", 25))
    pages = max(1, -(-len(matching) // size))
    return render_template(
        "models/index.html",
        definitions=matching[(page - 1) * size : page * size],
        total=len(matching),
        page=page,
        pages=pages,
        kind=kind,
        kinds=KINDS,
        text=request.args.get("q", ""),
        latest_only=latest_only,
        error=error,
        note=note,
        max_files=MAX_FILES,
        checked=checked,
    ), (422 if error else 200)


@bp.get("/models")
@editors_only
def index() -> Any:
    return _definitions_page()


def _uploaded_files() -> list[tuple[str, bytes]]:
    """The uploaded model files by their base name; DeploymentError for what cannot be one."""
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        raise DeploymentError(_("Choose at least one .bpmn, .dmn or .json file."))
    if len(files) > MAX_FILES:
        raise DeploymentError(_("At most %(n)s files per deployment.", n=MAX_FILES))
    result: dict[str, bytes] = {}
    for upload in files:
        name = PurePosixPath((upload.filename or "").replace("\\", "/")).name
        if len(name) > MAX_NAME:
            raise DeploymentError(_("File names have at most %(n)s characters.", n=MAX_NAME))
        if not name.lower().endswith(SUFFIXES) or not name.isprintable():
            raise DeploymentError(
                _("%(name)s is not a .bpmn, .dmn or .json file.", name=name or "?")
            )
        if name in result:
            raise DeploymentError(_("%(name)s was chosen twice.", name=name))
        result[name] = upload.read()
    return list(result.items())


def _report(deployed: list[DefinitionInfo]) -> None:
    created = [f"{d.key} v{d.version}" for d in deployed if d.created and not d.redeployed_for]
    unchanged = [f"{d.key} v{d.version}" for d in deployed if not d.created]
    if created:
        flash(_("Deployed: %(list)s.", list=", ".join(created)), "info")
    if unchanged:
        flash(_("Unchanged (already deployed): %(list)s.", list=", ".join(unchanged)), "info")
    callers = [
        f"{d.key} v{d.version} ({', '.join(d.redeployed_for)})"
        for d in deployed
        if d.redeployed_for
    ]
    if callers:
        flash(
            _(
                "Deployed again because they call what changed: %(list)s. New drafts run "
                "the new version; running drafts keep theirs until migrated.",
                list=", ".join(callers),
            ),
            "info",
        )


@bp.post("/models")
@editors_only
def deploy() -> Any:
    note = (request.form.get("note") or "").strip()[:500]
    warnings: list[LintProblem] = []
    try:
        files = _uploaded_files()
        deployed = lifecycle().engine.deploy(
            files, current_actor().id, note or None, warnings=warnings
        )
    except EngineError as exc:
        return _definitions_page(exc, note)
    _report(deployed)
    for warning in warnings:
        flash(
            _(
                "Warning: %(element)s: %(message)s",
                element=warning.element_id or "-",
                message=localize(warning.message),
            ),
            "warning",
        )
    return redirect(url_for("models.index"))


@bp.post("/models/lint")
@editors_only
def lint() -> Any:
    """ "Check without deploying": the same rules as a deploy, nothing stored."""
    note = (request.form.get("note") or "").strip()[:500]
    try:
        files = _uploaded_files()
    except EngineError as exc:
        return _definitions_page(exc, note)
    return _definitions_page(note=note, checked=lifecycle().engine.lint(files))


@bp.post("/models/bundled")
@editors_only
def deploy_bundled() -> Any:
    try:
        deployed = lifecycle().deploy_models(current_actor().id, _("Bundled models"))
    except EngineError as exc:
        return _definitions_page(exc)
    _report(deployed)
    return redirect(url_for("models.index"))


@bp.get("/models/<int(max=9223372036854775807):definition_id>")
@editors_only
def show(definition_id: int) -> Any:
    engine = lifecycle().engine
    definition = engine.definition(definition_id)
    versions = sorted(engine.definitions(definition.key), key=lambda d: -d.version)
    user_tasks: list[Any] = []
    source = None
    if definition.kind == "bpmn":
        try:
            spec = engine.loaded_spec(definition_id)
            user_tasks = sorted(
                spec.user_tasks.values(), key=lambda t: (t.process_id, t.element_id)
            )
        except NotFound:
            user_tasks = []
    else:
        source = engine.definition_xml(definition_id)
    return render_template(
        "models/show.html",
        definition=definition,
        versions=versions,
        user_tasks=user_tasks,
        source=source,
    )


@bp.get("/models/<int(max=9223372036854775807):definition_id>/xml")
@editors_only
def source(definition_id: int) -> Response:
    engine = lifecycle().engine
    definition = engine.definition(definition_id)
    body = engine.definition_xml(definition_id)
    response = Response(body, mimetype=MEDIA_TYPES.get(definition.kind, "text/plain"))
    filename = secure_filename(f"{definition.key}.v{definition.version}.{definition.kind}")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename or "model"}"'

    response.headers["Cache-Control"] = "private, max-age=3600"  # a version never changes
    return response
