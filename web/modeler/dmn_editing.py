"""The decision table pages: open a deployed DMN decision, edit its rules as a table, keep
the result as a draft, deploy it as a new version.

A plain HTML form (no script): each rule is a row of text cells in the engine's expression
language (:mod:`web.modeler.dmn_tables`). Saving stores a DMN draft model
(:mod:`workflows.model_drafts`, kind "dmn"); deploying sends it through the engine's deploy,
with every lint rule, and removes the draft. Process owners and administrators only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine import EngineError, NotFound
from web.auth import current_actor
from web.extensions import lifecycle
from web.i18n import localize
from web.modeler import bp, dmn_tables
from web.modeler.checks import problems_of
from web.modeler.views import editors_only
from workflows import model_drafts

MAX_NOTE = 500


def _rules(form: MultiDict[str, str], table: dmn_tables.Table) -> list[dict[str, Any]]:
    """The rows posted by the table page, minus the one whose remove button was pressed."""
    count = min(form.get("rows", type=int) or 0, dmn_tables.MAX_RULES)
    removed = form.get("remove", type=int)
    rules = []
    for row in range(count):
        if row == removed:
            continue
        rules.append(
            {
                "description": form.get(f"rule-{row}-description", ""),
                "inputs": [form.get(f"rule-{row}-in-{c}", "") for c in range(len(table.inputs))],
                "outputs": [form.get(f"rule-{row}-out-{c}", "") for c in range(len(table.outputs))],
            }
        )
    if form.get("action") == "add_row":
        rules.append({"description": "", "inputs": [], "outputs": []})
    return rules


def _rearranging() -> bool:
    """Adding or removing a row only redraws the table; nothing is stored until saved."""
    return request.form.get("action") == "add_row" or request.form.get("remove") is not None


def _page(
    table: dmn_tables.Table, *, definition: Any = None, draft: Any = None, **extra: Any
) -> Any:
    action = (
        url_for("modeler.dmn_draft", draft_id=draft.id)
        if draft
        else url_for("modeler.dmn_definition", definition_id=definition.id)
    )
    return render_template(
        "modeler/dmn.html", table=table, definition=definition, draft=draft, action=action, **extra
    )


@bp.get("/dmn/<int:definition_id>")
@editors_only
def dmn_definition(definition_id: int) -> Any:
    definition = lifecycle().engine.definition(definition_id)
    if definition.kind != "dmn":
        abort(404)
    table = dmn_tables.read(lifecycle().engine.definition_xml(definition_id))
    return _page(table, definition=definition)


@bp.get("/dmn/drafts/<int:draft_id>")
@editors_only
def dmn_draft_page(draft_id: int) -> Any:
    with lifecycle().db.read() as session:
        draft = model_drafts.get(session, draft_id)
    if draft.kind != "dmn":
        abort(404)
    return _page(dmn_tables.read(draft.xml), draft=draft)


@bp.post("/dmn/<int:definition_id>")
@editors_only
def dmn_save_definition(definition_id: int) -> Any:
    """The first save of a deployed decision's table: it becomes a DMN draft model."""
    definition = lifecycle().engine.definition(definition_id)
    if definition.kind != "dmn":
        abort(404)
    xml = lifecycle().engine.definition_xml(definition_id)
    table = dmn_tables.read(xml)
    rules = _rules(request.form, table)
    if _rearranging():
        return _page(replace(table, rules=rules), definition=definition)
    try:
        edited = dmn_tables.write(xml, rules)
        with lifecycle().db.write() as session:
            draft = model_drafts.save(
                session, current_actor().id, edited, base_definition_id=definition_id
            )
            draft_id = draft.id
    except EngineError as exc:
        flash(localize(exc.message), "error")
        return _page(replace(table, rules=rules), definition=definition), 422
    flash(_("The table was saved as a draft model."), "info")
    return redirect(url_for("modeler.dmn_draft_page", draft_id=draft_id), 303)


@bp.post("/dmn/drafts/<int:draft_id>")
@editors_only
def dmn_draft(draft_id: int) -> Any:
    """Save the draft's table (or add/remove a row), or deploy it with a note."""
    actor = current_actor().id
    with lifecycle().db.read() as session:
        draft = model_drafts.get(session, draft_id)
    if draft.kind != "dmn":
        abort(404)
    table = dmn_tables.read(draft.xml)
    rules = _rules(request.form, table)
    shown = replace(table, rules=rules)
    if _rearranging():
        return _page(shown, draft=draft)
    deploying = request.form.get("action") == "deploy"
    note = (request.form.get("note") or "").strip()[:MAX_NOTE]
    if deploying and not note:
        flash(_("Write a note saying what changed and why."), "error")
        return _page(shown, draft=draft), 422
    try:
        edited = dmn_tables.write(draft.xml, rules)
        with lifecycle().db.write() as session:
            saved = model_drafts.save(session, actor, edited, draft_id=draft_id)
            if deploying:
                deployed = lifecycle().engine.deploy(saved.files(), actor, note, session=session)
                model_drafts.delete(session, actor, draft_id, reason="deployed")
    except NotFound:
        raise
    except EngineError as exc:
        flash(localize(exc.message), "error")
        return _page(shown, draft=draft, problems=problems_of(exc)), 422
    if deploying:
        info = next(d for d in deployed if d.kind == "dmn")
        flash(_("Deployed as version %(n)s.", n=info.version), "info")
        return redirect(url_for("models.show", definition_id=info.id), 303)
    flash(_("The table was saved as a draft model."), "info")
    return redirect(url_for("modeler.dmn_draft_page", draft_id=draft_id), 303)
