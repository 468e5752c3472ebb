"""What earlier steps recorded, as people read it: each answer under its form's own label.

The engine hands back every completed step's submitted data with the schema of its form
(:meth:`engine.Engine.submissions`). A reader sees "Cơ quan thống nhất với dự thảo: Không", not
``agrees: false``: labels and choice titles come from the form, booleans read Yes/No, dates
DD/MM/YYYY, organisation codes their names. Shown on the task page and the draft page to
everyone who may see the draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from engine import Engine
from engine.core import WaitingTimer
from engine.task_forms import Submission
from web.forms import DECISION_FIELD, decision_choices, fields_from_schema, localized
from web.i18n import format_date
from web.templating import locale_code, org_name, task_title
from workflows.reports.standard_documents import StepRecord


@dataclass(frozen=True)
class Record:
    task_id: str
    element_id: str
    title: str
    who: str | None
    at: Any
    form_title: str | None
    answers: list[tuple[str, str]]


def _display(value: Any, kind: str, choices: dict[str, str], picker: str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(_display(v, "text", choices, picker) for v in value) or "—"
    text = str(value)
    if text in choices:
        return choices[text]
    if picker == "organisation":
        return org_name(text)
    if kind == "date":
        try:
            return format_date(date.fromisoformat(text[:10]))
        except ValueError:
            return text
    return text


def answers(data: dict[str, Any], schema: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, value) pairs in the order of the form; fields the step has not got are left out."""
    result: list[tuple[str, str]] = []
    locale = locale_code()
    decision = {c.value: c.label for c in decision_choices(schema, locale)}
    if DECISION_FIELD in data:
        result.append(
            (_("Decision"), decision.get(str(data[DECISION_FIELD]), str(data[DECISION_FIELD])))
        )
    for field in fields_from_schema(schema, locale):
        if field.name not in data:
            continue
        choices = {c.value: c.label for c in field.choices}
        result.append((field.label, _display(data[field.name], field.kind, choices, field.picker)))
    return result


def records(submissions: list[Submission]) -> list[Record]:
    return [
        Record(
            task_id=s.task.id,
            element_id=s.task.element_id,
            title=task_title(s.task),
            who=s.task.completed_by,
            at=s.at,
            form_title=localized(s.schema, "title", locale_code()) if s.schema else None,
            answers=answers(s.data, s.schema),
        )
        for s in submissions
        if s.data or s.schema
    ]


def waiting_timers(engine: Engine, instance_id: int, session: Any) -> list[WaitingTimer]:
    """The timers the draft waits for that are not deadlines of an open step (those show as
    the step's deadline already)."""
    return [t for t in engine.waiting_timers(instance_id, session=session) if not t.on_step]


def report_records(submissions: list[Submission]) -> list[StepRecord]:
    """The completed steps as the standard documents read them: labelled in Vietnamese (the
    administration's documents are), whatever the reader's language."""
    with force_locale("vi"):
        return [
            StepRecord(
                title=s.task.title,
                organisation=s.task.organisation,
                who=s.task.completed_by,
                at=s.at,
                data=s.data,
                answers=answers(s.data, s.schema),
            )
            for s in submissions
        ]
