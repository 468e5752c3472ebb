"""Administration of the deadline rules: new versions only, never edits."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from engine import clock
from web.extensions import lifecycle
from web.views.admin_common import (
    STEP,
    FormError,
    admin_only,
    bp,
    form_date,
    form_text,
    record,
    write_session,
)
from workflows.calendar import vietnam_date
from workflows.deadlines import ANY, PROCEDURES, UNITS, DeadlineRule
from workflows.drafts import DOCUMENT_TYPES


# Deadline rules --------------------------------------------------------------------------------
def _rules_page(error: str | None = None, values: dict[str, str] | None = None) -> Any:
    today = vietnam_date(clock.now())
    with lifecycle().db.read() as session:
        rules = list(
            session.execute(
                select(DeadlineRule).order_by(
                    DeadlineRule.step,
                    DeadlineRule.document_type,
                    DeadlineRule.procedure,
                    DeadlineRule.effective_from.desc(),
                )
            ).scalars()
        )
        source = None
        copy_of = request.args.get("from") or ""
        if values is None and copy_of.isdigit() and len(copy_of) <= 9:
            source = session.get(DeadlineRule, int(copy_of))
    in_force: dict[tuple[str, str, str], int] = {}
    for rule in rules:  # newest first within a key: the first one already in force wins
        key = (rule.step, rule.document_type, rule.procedure)
        if rule.effective_from <= today and key not in in_force:
            in_force[key] = rule.id
    if source is not None:
        values = {
            c: str(getattr(source, c) or "")
            for c in ("document_type", "procedure", "step", "amount", "unit", "legal_basis", "note")
        }
    return render_template(
        "admin/rules.html",
        groups=[(s, list(g)) for s, g in groupby(rules, key=lambda r: r.step)],
        in_force=set(in_force.values()),
        today=today,
        document_types=[ANY, *DOCUMENT_TYPES],
        procedures=[ANY, *PROCEDURES],
        units=UNITS,
        steps=sorted({r.step for r in rules}),
        error=error,
        values=values or {},
    ), (422 if error else 200)


@bp.get("/rules")
@admin_only
def rules() -> Any:
    return _rules_page()


@bp.post("/rules")
@admin_only
def add_rule() -> Any:
    form = request.form
    try:
        document_type, procedure = form.get("document_type", ""), form.get("procedure", "")
        step, unit = form.get("step", "").strip(), form.get("unit", "")
        if document_type != ANY and document_type not in DOCUMENT_TYPES:
            raise FormError(_("Choose a document type, or * for every type."))
        if procedure != ANY and procedure not in PROCEDURES:
            raise FormError(_("Choose a procedure, or * for both."))
        if not STEP.match(step):
            raise FormError(_("The step is a name such as appraisal."))
        if unit not in UNITS:
            raise FormError(_("Choose working days or calendar days."))
        amount = int(form.get("amount", "")) if form.get("amount", "").isdigit() else -1
        if not 0 <= amount <= 3650:
            raise FormError(_("The time limit is a whole number of days from 0 to 3650."))
        effective_from = form_date("effective_from", _("In force from"))
        basis = form_text("legal_basis", _("Legal basis"), 2000)
        note = form_text("note", _("Note"), 2000, required=False) or None
        with write_session() as session:
            latest = session.scalar(
                select(func.max(DeadlineRule.effective_from)).where(
                    DeadlineRule.document_type == document_type,
                    DeadlineRule.procedure == procedure,
                    DeadlineRule.step == step,
                )
            )
            if latest is not None and effective_from <= latest:
                raise FormError(
                    _(
                        "A new version must apply from a date after %(day)s, the date "
                        "of the latest version.",
                        day=latest.strftime("%d/%m/%Y"),
                    )
                )
            rule = DeadlineRule(
                document_type=document_type,
                procedure=procedure,
                step=step,
                amount=amount,
                unit=unit,
                legal_basis=basis,
                confirmed=form.get("confirmed") == "1",
                note=note,
                effective_from=effective_from,
            )
            session.add(rule)
            session.flush()
            record(
                session,
                "deadline_rule",
                "add",
                rule_id=rule.id,
                step=step,
                document_type=document_type,
                procedure=procedure,
                amount=amount,
                unit=unit,
                effective_from=effective_from.isoformat(),
            )
    except FormError as exc:
        return _rules_page(str(exc), form.to_dict())
    flash(_("The new rule version was added. Drafts already running keep their rules."), "info")
    return redirect(url_for("admin.rules"))
