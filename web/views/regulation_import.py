"""Importing a CSV/XLSX list of regulations in force: upload, preview, confirm.

The upload is read and every row checked (:mod:`workflows.registry_import`); the preview lists
each row's problems by line and imports nothing while any remain. A clean file's rows travel
to the confirmation inside a signed token (nothing is kept on the server between the two
requests, and the rows cannot be altered on the way); they are checked again and imported in
one transaction, so the registry gets the whole file or none of it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import BadRequest

from web.auth import current_actor
from web.extensions import lifecycle
from web.i18n import localize
from web.views.admin_common import write_session
from web.views.regulation_entry import keepers_only
from web.views.regulations import bp
from workflows import registry_import
from workflows.registry_import import ImportCheck, ImportRefused

SALT = "lexflow.registry-import"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=SALT)


def _page(
    status: int = 200,
    *,
    refused: str | None = None,
    check: ImportCheck | None = None,
    token: str | None = None,
    filename: str = "",
) -> Any:
    return (
        render_template(
            "regulations/import.html",
            columns=[*registry_import.COLUMNS, *registry_import.RELATION_COLUMNS],
            required=registry_import.REQUIRED_COLUMNS,
            max_rows=registry_import.MAX_ROWS,
            refused=refused,
            check=check,
            problems=[(p.line, p.column, localize(p.message)) for p in check.problems]
            if check
            else [],
            token=token,
            filename=filename,
        ),
        status,
    )


@bp.get("/regulations/import")
@keepers_only
def import_form() -> Any:
    return _page()


@bp.post("/regulations/import")
@keepers_only
def import_preview() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(400, refused=_("Choose a CSV or XLSX file to upload."))
    data = upload.stream.read(registry_import.MAX_BYTES + 1)
    try:
        rows = registry_import.read_rows(upload.filename, data)
    except ImportRefused as exc:
        status = 413 if len(data) > registry_import.MAX_BYTES else 400
        return _page(status, refused=localize(exc.message), filename=upload.filename)
    with lifecycle().db.read() as session:
        check = registry_import.check_rows(session, rows)
    if not check.ok:
        return _page(422, check=check, filename=upload.filename)
    token = _serializer().dumps({"by": current_actor().id, "rows": rows})
    return _page(check=check, token=token, filename=upload.filename)


@bp.post("/regulations/import/confirm")
@keepers_only
def import_confirm() -> Any:
    actor = current_actor().id
    try:
        payload = _serializer().loads(request.form.get("rows", ""))
    except BadSignature as exc:
        raise BadRequest(_("The preview expired or was altered. Upload the file again.")) from exc
    if not isinstance(payload, dict) or payload.get("by") != actor:
        raise BadRequest(_("The preview expired or was altered. Upload the file again."))
    rows = [(int(line), dict(cells)) for line, cells in payload.get("rows") or []]
    with write_session() as session:
        # Checked again: the registry may have changed since the preview.
        check = registry_import.check_rows(session, rows)
        if check.ok:
            registry_import.import_entries(session, check.entries, actor)
    if not check.ok:
        return _page(422, check=check)
    flash(_("%(n)s regulations were imported.", n=len(check.entries)), "info")
    return redirect(url_for("regulations.index"))
