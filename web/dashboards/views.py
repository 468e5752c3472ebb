"""The dashboard pages and their XLSX exports.

Each page reads its filters from the URL (:func:`_filters`; a bad value is a 400 with a
sentence), its figures from :mod:`workflows.reports.figures` within the reader's scope, and
draws them as charts with the numbers also in a table. ``<page>.xlsx`` exports the same
tables (:func:`_tables_*`), and each export is appended to the reader's audit stream
``export:<user id>`` (what was exported, with which filters).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from engine import Actor, audit, clock
from engine.models import Definition
from web import params
from web.access import can_view_draft
from web.auth import current_actor, login_required
from web.dashboards import bp, charts
from web.extensions import lifecycle
from web.templating import (
    deadline_step_name,
    document_type_name,
    org_name,
    stage_name,
    step_name,
)
from web.views.draft import document_response
from web.views.draft_list import draft_url
from web.views.plan import reason_label, state_labels
from web.views.regulations import impact_labels, status_labels
from workflows.calendar import vietnam_date
from workflows.drafts import DOCUMENT_TYPES, Draft
from workflows.plan import PlanItem
from workflows.registry import IMPACTS, STATUSES
from workflows.reports.access import DashboardScope, dashboard_scope
from workflows.reports.export import Table, workbook_bytes
from workflows.reports.figures import (
    LEVELS,
    PLAN_STATES,
    UNASSESSED,
    Filters,
    TaskFigures,
    plan_drafts,
    plan_figures,
    registry_figures,
    task_figures,
)
from workflows.reports.plan_watch import BackwardPlanner
from workflows.reports.standard_documents import (
    FILE_WORDS,
    BehindItem,
    PlanLine,
    behind_plan_report,
    plan_report,
)
from workflows.reports.steps import StepCatalog
from workflows.roles import STAGE_CODES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The plan document lists at most this many items (a province plans tens a year).
PLAN_DOCUMENT_ITEMS = 1000


def _scope(session: Session, actor: Actor) -> DashboardScope:
    scope = dashboard_scope(session, actor)
    if scope is None:
        abort(403, _("The dashboards are for leaders, agency heads and the Department of Justice."))
    return scope


def _day(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(
            _("%(name)s must be a date as YYYY-MM-DD, not '%(value)s'.", name=name, value=raw[:20])
        ) from exc


def _filters() -> Filters:
    this_year = vietnam_date(clock.now()).year
    year = params.integer("year", this_year, minimum=2000, maximum=2100) or this_year
    agency = params.text("agency", 40)
    first, last = _day("from"), _day("to")
    if first and last and last < first:
        raise BadRequest(_("The end of the period is before its start."))
    return Filters(
        year=year,
        document_type=params.choice("document_type", DOCUMENT_TYPES),
        agency=agency,
        level=params.choice("level", LEVELS),
        period_from=first,
        period_to=last,
    )


def _query(filters: Filters) -> dict[str, Any]:
    """The filters as URL arguments (what links and the export carry along)."""
    args: dict[str, Any] = {"year": filters.year}
    for key, value in (
        ("document_type", filters.document_type),
        ("agency", filters.agency),
        ("level", filters.level),
        ("from", filters.period_from and filters.period_from.isoformat()),
        ("to", filters.period_to and filters.period_to.isoformat()),
    ):
        if value:
            args[key] = value
    return args


def _choices(session: Session, scope: DashboardScope) -> dict[str, Any]:
    agencies = sorted(
        code
        for code in session.execute(select(distinct(PlanItem.lead_agency))).scalars()
        if scope.allows(code)
    )
    years = sorted(set(session.execute(select(distinct(PlanItem.year))).scalars()), reverse=True)
    return {
        "agencies": agencies,
        "years": years,
        "document_types": DOCUMENT_TYPES,
        "levels": {"province": _("Province"), "commune": _("Commune")},
    }


def _log_export(
    session: Session, actor: Actor, name: str, filters: Filters, fmt: str | None = None
) -> None:
    """Every export is audited: who took which dashboard, with which filters."""
    data: dict[str, str] = {"dashboard": name}
    if fmt is not None:
        data["format"] = fmt
    audit.append_stream_event(
        session,
        f"export:{actor.id}",
        actor=actor.id,
        action="dashboard_exported",
        data={**data, **{k: str(v) for k, v in _query(filters).items()}},
    )


def _export(
    session: Session, actor: Actor, name: str, filters: Filters, tables: list[Table]
) -> Response:
    _log_export(session, actor, name, filters)
    filename = f"lexflow-{name}-{filters.year}.xlsx"
    return Response(
        workbook_bytes(tables),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# The annual plan ------------------------------------------------------------------------------


def _plan_tables(session: Session, filters: Filters, scope: DashboardScope) -> list[Table]:
    figures = plan_figures(session, filters, scope)
    labels = state_labels()
    header = [_("Lead agency"), *(labels[s] for s in PLAN_STATES), _("Total")]
    rows: list[list[Any]] = [
        [org_name(agency), *(counts[s] for s in PLAN_STATES), sum(counts.values())]
        for agency, counts in sorted(figures.by_agency.items())
    ]
    rows.append(
        [_("Total"), *(figures.totals[s] for s in PLAN_STATES), sum(figures.totals.values())]
    )
    reasons = [[reason_label(r), n] for r, n in sorted(figures.reasons.items())]
    items = [
        [
            row.draft_code or "",
            row.title,
            org_name(row.agency),
            document_type_name(row.document_type),
            row.target_date,
            stage_name(row.stage) if row.stage else "",
            labels[row.state],
            reason_label(row.reason),
        ]
        for row in plan_drafts(session, filters, scope)
    ]
    return [
        Table(_("Plan by lead agency"), header, rows),
        Table(_("Why items are behind"), [_("Reason"), _("Items")], reasons),
        Table(
            _("Plan items"),
            [
                _("Draft"),
                _("Title"),
                _("Lead agency"),
                _("Document type"),
                _("Target session date"),
                _("Stage"),
                _("State"),
                _("Reason"),
            ],
            items,
        ),
    ]


@bp.get("/plan")
@login_required
def plan() -> Any:
    actor = current_actor()
    filters = _filters()
    state = params.choice("state", PLAN_STATES)
    with lifecycle().db.read() as session:
        scope = _scope(session, actor)
        figures = plan_figures(session, filters, scope)
        drafts = plan_drafts(session, filters, scope, state=state)
        ids = [row.draft_id for row in drafts if row.draft_id is not None]
        found = list(session.execute(select(Draft).where(Draft.id.in_(ids))).scalars())
        visible = {d.id for d in found if can_view_draft(session, actor, d)}
        planner = BackwardPlanner(session, lifecycle().calendar(), vietnam_date(clock.now()))
        slack = {d.id: planner.for_draft(d) for d in found}
        choices = _choices(session, scope)
    labels = state_labels()
    agencies = sorted(figures.by_agency)
    chart = charts.stacked_bars(
        _("Annual plan %(year)s by lead agency", year=filters.year),
        [org_name(a) for a in agencies],
        {labels[s]: [figures.by_agency[a][s] for a in agencies] for s in PLAN_STATES},
    )
    return render_template(
        "dashboards/plan.html",
        filters=filters,
        query=_query(filters),
        figures=figures,
        plan_agencies=agencies,
        states=PLAN_STATES,
        state=state,
        state_labels=labels,
        reason_label=reason_label,
        drafts=drafts,
        links={i: draft_url(i) for i in visible},
        slack=slack,
        chart=chart,
        **choices,
    )


@bp.get("/plan.xlsx")
@login_required
def plan_xlsx() -> Any:
    actor = current_actor()
    filters = _filters()
    with lifecycle().db.write() as session:
        tables = _plan_tables(session, filters, _scope(session, actor))
        return _export(session, actor, "plan", filters, tables)


@bp.get("/plan/behind.<any(docx, pdf):fmt>")
@login_required
def behind_plan(fmt: str) -> Any:
    """The behind-plan report (the items of the filtered plan behind schedule, why, and their
    slack) as DOCX or PDF, for the plan dashboard's readers; each export is logged."""
    actor = current_actor()
    filters = _filters()
    with lifecycle().db.write() as session:
        scope = _scope(session, actor)
        figures = plan_figures(session, filters, scope)
        rows = plan_drafts(session, filters, scope, state="behind")
        ids = [row.draft_id for row in rows if row.draft_id is not None]
        planner = BackwardPlanner(session, lifecycle().calendar(), vietnam_date(clock.now()))
        plans = {
            d.id: planner.for_draft(d)
            for d in session.execute(select(Draft).where(Draft.id.in_(ids))).scalars()
        }
        with force_locale("vi"):
            items = [
                BehindItem(
                    row.draft_code,
                    row.title,
                    row.agency,
                    row.target_date,
                    row.stage,
                    reason_label(row.reason),
                    plans.get(row.draft_id) if row.draft_id else None,
                )
                for row in rows
            ]
        document = behind_plan_report(session, filters.year, figures.totals, items)
        _log_export(session, actor, "behind_plan", filters, fmt)
    return document_response(document, fmt, f"{FILE_WORDS['behind_plan']}-{filters.year}")


@bp.get("/plan/items.<any(docx, pdf):fmt>")
@login_required
def plan_document(fmt: str) -> Any:
    """The filtered plan as a document (every item, its state and why), DOCX or PDF, for the
    plan dashboard's readers; each export is logged."""
    actor = current_actor()
    filters = _filters()
    with lifecycle().db.write() as session:
        scope = _scope(session, actor)
        figures = plan_figures(session, filters, scope)
        rows = plan_drafts(session, filters, scope, limit=PLAN_DOCUMENT_ITEMS + 1)
        with force_locale("vi"):
            labels = state_labels()
            lines = [
                PlanLine(
                    row.draft_code,
                    row.title,
                    row.agency,
                    row.target_date,
                    str(labels.get(row.state, row.state)),
                    reason_label(row.reason),
                )
                for row in rows[:PLAN_DOCUMENT_ITEMS]
            ]
        document = plan_report(
            session,
            filters.year,
            figures.totals,
            lines,
            truncated=len(rows) > PLAN_DOCUMENT_ITEMS,
        )
        _log_export(session, actor, "plan_items", filters, fmt)
    return document_response(document, fmt, f"{FILE_WORDS['plan']}-{filters.year}")


# Tasks ----------------------------------------------------------------------------------------


def unit_labels() -> dict[str, str]:
    return {"working_days": _("working days"), "calendar_days": _("calendar days")}


def _task_figures(session: Session, filters: Filters, scope: DashboardScope) -> TaskFigures:
    life = lifecycle()
    return task_figures(session, filters, scope, life.calendar(), StepCatalog(life.engine, session))


def _task_tables(session: Session, filters: Filters, scope: DashboardScope) -> list[Table]:
    figures = _task_figures(session, filters, scope)
    return [
        Table(
            _("Open tasks by agency"),
            [_("Agency"), _("Open"), _("Overdue")],
            [[org_name(org), n, late] for org, (n, late) in figures.by_agency.items()],
        ),
        Table(
            _("Open tasks by step"),
            [_("Step"), _("Open"), _("Overdue")],
            [[step_name(s, s.spec_id), s.open, s.overdue] for s in figures.by_step.values()],
        ),
        Table(
            _("Time per step"),
            [
                _("Step"),
                _("Completed"),
                _("Median (working days)"),
                _("90th percentile (working days)"),
                _("Deadline rule"),
                _("Statutory limit"),
                _("Unit"),
                _("Completed late"),
            ],
            [
                [
                    step_name(t, t.spec_id),
                    t.completed,
                    t.median,
                    t.p90,
                    deadline_step_name(t.rule_step) if t.rule_step else "",
                    t.limit,
                    unit_labels().get(t.limit_unit or "", ""),
                    t.over_limit,
                ]
                for t in figures.step_times
            ],
        ),
    ]


def heat_labels() -> dict[str, str]:
    return {
        "low": _("Within half of the limit"),
        "mid": _("Within the limit"),
        "high": _("Over the limit"),
        "none": _("No limit in working days"),
    }


@dataclass(frozen=True)
class HeatDiagram:
    definition_id: int
    name: str
    heat: str  # "element:class,..." for diagram.js
    waiting: str  # "element:count,..."


def _stage_order(key: str) -> tuple[int, str]:
    stage = key.removeprefix("stage_")
    return (STAGE_CODES.index(stage) + 1 if stage in STAGE_CODES else 0, key)


def heat_diagrams(session: Session, figures: TaskFigures) -> list[HeatDiagram]:
    """The newest deployed diagrams that draw the dashboard's steps, with each step's heat
    (median time against its limit) and the drafts waiting there now."""
    heat = {t.spec_id: t.heat for t in figures.step_times}
    waiting = {s.spec_id: s.open for s in figures.by_step.values()}
    elements = set(heat) | set(waiting)
    if not elements:
        return []
    newest = (
        select(Definition.key, func.max(Definition.version).label("version"))
        .where(Definition.kind == "bpmn")
        .group_by(Definition.key)
        .subquery()
    )
    rows = session.execute(
        select(Definition.id, Definition.key, Definition.name, Definition.xml).join(
            newest, and_(Definition.key == newest.c.key, Definition.version == newest.c.version)
        )
    ).all()
    found = []
    for row in sorted(rows, key=lambda r: _stage_order(r.key)):
        drawn = [e for e in sorted(elements) if f'id="{e}"' in row.xml]
        if not drawn:
            continue
        found.append(
            HeatDiagram(
                row.id,
                row.name or row.key,
                ",".join(f"{e}:{heat[e]}" for e in drawn if e in heat),
                ",".join(f"{e}:{waiting[e]}" for e in drawn if waiting.get(e)),
            )
        )
    return found


@bp.get("/diagrams/<int:definition_id>.bpmn")
@login_required
def diagram_xml(definition_id: int) -> Response:
    """A deployed BPMN model for the heatmap (dashboard readers only; models hold no data)."""
    actor = current_actor()
    with lifecycle().db.read() as session:
        _scope(session, actor)
        definition = session.get(Definition, definition_id)
        if definition is None or definition.kind != "bpmn":
            abort(404)
        xml = definition.xml
    return Response(xml, mimetype="application/xml")


@bp.get("/tasks")
@login_required
def tasks() -> Any:
    actor = current_actor()
    filters = _filters()
    with lifecycle().db.read() as session:
        scope = _scope(session, actor)
        figures = _task_figures(session, filters, scope)
        diagrams = heat_diagrams(session, figures)
        choices = _choices(session, scope)
    orgs = list(figures.by_agency)
    open_chart = charts.stacked_bars(
        _("Open tasks by agency"),
        [org_name(o) for o in orgs],
        {
            _("Overdue"): [figures.by_agency[o][1] for o in orgs],
            _("Within the deadline"): [
                figures.by_agency[o][0] - figures.by_agency[o][1] for o in orgs
            ],
        },
    )
    times = figures.step_times
    time_chart = charts.grouped_bars(
        _("Time per step (working days)"),
        [step_name(t, t.spec_id) for t in times],
        {
            _("Median"): [t.median for t in times],
            _("90th percentile"): [t.p90 for t in times],
            _("Statutory limit"): [
                t.limit if t.limit_unit == "working_days" else None for t in times
            ],
        },
    )
    first, last = filters.period()
    return render_template(
        "dashboards/tasks.html",
        unit_labels=unit_labels(),
        diagrams=diagrams,
        heat_labels=heat_labels(),
        filters=filters,
        query=_query(filters),
        figures=figures,
        open_chart=open_chart,
        time_chart=time_chart,
        period_from=first,
        period_to=last,
        **choices,
    )


@bp.get("/tasks.xlsx")
@login_required
def tasks_xlsx() -> Any:
    actor = current_actor()
    filters = _filters()
    with lifecycle().db.write() as session:
        tables = _task_tables(session, filters, _scope(session, actor))
        return _export(session, actor, "tasks", filters, tables)


# The registry ---------------------------------------------------------------------------------


def link_labels() -> dict[str, str]:
    return {
        "amends": _("Amends"),
        "replaces": _("Replaces"),
        "suspends": _("Suspends"),
        "repeals": _("Repeals"),
        "details": _("Details"),
    }


def _registry_tables(session: Session, filters: Filters, scope: DashboardScope) -> list[Table]:
    figures = registry_figures(session, filters, scope)
    impacts, statuses, links = impact_labels(), status_labels(), link_labels()
    return [
        Table(
            _("In force by impact"),
            [_("Impact"), _("Regulations")],
            [[impacts[k], figures.by_impact[k]] for k in (*IMPACTS, UNASSESSED)]
            + [[_("Total in force"), figures.in_force]],
        ),
        Table(
            _("Regulations by status"),
            [_("Status"), _("Regulations")],
            [[statuses[k], figures.by_status[k]] for k in STATUSES],
        ),
        Table(
            _("Amendments and replacements"),
            [_("Link"), _("Regulations affected")],
            [[links.get(k, k), n] for k, n in figures.links.items()],
        ),
    ]


@bp.get("/registry")
@login_required
def registry() -> Any:
    actor = current_actor()
    filters = _filters()
    with lifecycle().db.read() as session:
        scope = _scope(session, actor)
        figures = registry_figures(session, filters, scope)
        choices = _choices(session, scope)
    impacts, statuses = impact_labels(), status_labels()
    impact_chart = charts.stacked_bars(
        _("Regulations in force by impact"),
        [impacts[k] for k in (*IMPACTS, UNASSESSED)],
        {_("Regulations"): [figures.by_impact[k] for k in (*IMPACTS, UNASSESSED)]},
    )
    status_chart = charts.stacked_bars(
        _("Regulations by status"),
        [statuses[k] for k in STATUSES],
        {_("Regulations"): [figures.by_status[k] for k in STATUSES]},
    )
    return render_template(
        "dashboards/registry.html",
        filters=filters,
        query=_query(filters),
        figures=figures,
        impacts=impacts,
        impact_keys=(*IMPACTS, UNASSESSED),
        statuses=statuses,
        status_keys=STATUSES,
        links=link_labels(),
        impact_chart=impact_chart,
        status_chart=status_chart,
        **choices,
    )


@bp.get("/registry.xlsx")
@login_required
def registry_xlsx() -> Any:
    actor = current_actor()
    filters = _filters()
    with lifecycle().db.write() as session:
        tables = _registry_tables(session, filters, _scope(session, actor))
        return _export(session, actor, "registry", filters, tables)


@bp.get("")
@login_required
def index() -> Any:
    return redirect(url_for("dashboards.plan", **request.args))
