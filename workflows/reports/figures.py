"""The dashboards' figures, each from an aggregate query over the tables the pages list.

Three questions leaders ask (issue 12): how the annual plan stands against what was done
(:func:`plan_figures`, :func:`plan_drafts`), where tasks wait and how long steps take
against their statutory limit (:func:`task_figures`), and what the regulations in force
achieve (:func:`registry_figures`). Every figure comes from ``GROUP BY`` over rows (plan
items joined to their drafts, the ``human_task`` projection, regulations and their latest
impact assessment); no workflow is deserialized. The one exception to counting in SQL is
the spread of step durations: a median and a 90th percentile in *working days* need the
working-day calendar, so the query counts the completed tasks of the period per step and per
pair of (Vietnamese) days they arrived and were completed, and the spans and quantiles are
taken here from those counts. Those counts come from :mod:`workflows.step_times`' table, kept
as tasks complete (one narrow row per task, days already Vietnamese, the draft's facts
copied), read from one covering index: not from ``human_task`` joined to drafts and
instances, which took seconds at 100 k drafts.

The plan's state is :func:`workflows.plan.plan_rows`: :func:`workflows.plan.plan_status`'s
rule written as one SQL ``CASE`` (tests check they agree on the demo), so the dashboard and
the plan page say the same "8 behind".
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    case,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from engine import clock
from engine.models import HumanTask, ProcessInstance
from workflows.calendar import WorkingCalendar, vietnam_date
from workflows.deadlines import rules_snapshot
from workflows.drafts import COMMUNE_TYPES, DOCUMENT_TYPES, Draft
from workflows.plan import OPEN_TASK, PLAN_STATES, PlanItem, plan_rows
from workflows.registry import (
    IMPACTS,
    STATUSES,
    ImpactAssessment,
    Regulation,
    RegulationLink,
    status_is,
)
from workflows.reports.access import DashboardScope
from workflows.reports.steps import StepCatalog
from workflows.step_times import CompletedStep

LEVELS = ("province", "commune")
UNASSESSED = "unassessed"


@dataclass(frozen=True)
class Filters:
    """What the URL of a dashboard chooses (``None``: all)."""

    year: int
    document_type: str | None = None
    agency: str | None = None
    level: str | None = None  # province | commune
    period_from: date | None = None  # tasks completed from this day (default: 1 January)
    period_to: date | None = None  # ...to this day (default: 31 December)

    def period(self) -> tuple[date, date]:
        return (
            self.period_from or date(self.year, 1, 1),
            self.period_to or date(self.year, 12, 31),
        )


def _type_conditions(column: ColumnElement[str], filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.document_type:
        conditions.append(column == filters.document_type)
    if filters.level == "commune":
        conditions.append(column.in_(sorted(COMMUNE_TYPES)))
    elif filters.level == "province":
        conditions.append(column.in_(sorted(set(DOCUMENT_TYPES) - COMMUNE_TYPES)))
    return conditions


def _agency_conditions(
    column: ColumnElement[str | None], filters: Filters, scope: DashboardScope
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.agency:
        conditions.append(column == filters.agency)
    if scope.agencies is not None:
        conditions.append(column.in_(sorted(scope.agencies)))
    return conditions


# The annual plan ----------------------------------------------------------------------------


def _plan_rows(filters: Filters, scope: DashboardScope, now: datetime) -> Select[tuple]:
    """One row per plan item of the year: its draft (if any), state and reason, in SQL."""
    return plan_rows(
        filters.year,
        now,
        *_type_conditions(PlanItem.document_type, filters),
        *_agency_conditions(PlanItem.lead_agency, filters, scope),
    )


@dataclass
class PlanFigures:
    #: state -> count over the whole (filtered) plan
    totals: dict[str, int]
    #: lead agency -> state -> count
    by_agency: dict[str, dict[str, int]]
    #: reason -> count, for the items behind plan
    reasons: dict[str, int]


def plan_figures(
    session: Session, filters: Filters, scope: DashboardScope, now: datetime | None = None
) -> PlanFigures:
    """Items of the year's plan per lead agency and state, and why items are behind."""
    rows = _plan_rows(filters, scope, clock.as_utc(now) if now else clock.now()).subquery()
    counted = session.execute(
        select(rows.c.agency, rows.c.state, rows.c.reason, func.count())
        .group_by(rows.c.agency, rows.c.state, rows.c.reason)
        .order_by(rows.c.agency)
    ).all()
    totals: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    by_agency: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PLAN_STATES, 0))
    for agency, state, reason, n in counted:
        totals[state] += n
        by_agency[agency][state] += n
        if state == "behind" and reason:
            reasons[reason] += n
    return PlanFigures(
        {state: totals[state] for state in PLAN_STATES}, dict(by_agency), dict(reasons)
    )


@dataclass(frozen=True)
class PlanDraftRow:
    item_id: int
    title: str
    agency: str
    document_type: str
    target_date: date | None
    draft_id: int | None
    draft_code: str | None
    stage: str | None
    state: str
    reason: str


def plan_drafts(
    session: Session,
    filters: Filters,
    scope: DashboardScope,
    state: str | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> list[PlanDraftRow]:
    """The drill-down: the items (and their drafts) behind one cell of the plan dashboard.

    Two queries: which items (the state needs only indexed columns, so the database walks
    indexes however large the plan), then the titles and codes of at most ``limit`` of them.
    """
    rows = _plan_rows(filters, scope, clock.as_utc(now) if now else clock.now()).subquery()
    query = (
        select(rows.c.item_id, rows.c.state, rows.c.reason)
        .order_by(rows.c.agency, rows.c.item_id)
        .limit(limit)
    )
    if state:
        query = query.where(rows.c.state == state)
    chosen = session.execute(query).all()
    details = {
        row.item_id: row
        for row in session.execute(
            select(
                PlanItem.id.label("item_id"),
                PlanItem.title,
                PlanItem.lead_agency,
                PlanItem.document_type,
                PlanItem.target_date,
                Draft.id.label("draft_id"),
                Draft.code,
                Draft.stage,
            )
            .outerjoin(Draft, Draft.plan_item_id == PlanItem.id)
            .where(PlanItem.id.in_([row.item_id for row in chosen]))
        ).all()
    }
    return [
        PlanDraftRow(
            row.item_id,
            details[row.item_id].title,
            details[row.item_id].lead_agency,
            details[row.item_id].document_type,
            details[row.item_id].target_date,
            details[row.item_id].draft_id,
            details[row.item_id].code,
            details[row.item_id].stage,
            row.state,
            row.reason,
        )
        for row in chosen
    ]


# Tasks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepTime:
    spec_id: str
    name: str  # the model's name (Vietnamese)
    completed: int
    median: float
    p90: float
    limit: int | None  # the rule table's period for this step (the most common over its tasks)
    over_limit: int  # completed in more time than their rule allows
    name_en: str | None = None
    rule_step: str | None = None  # the deadline rule step (None: the step has no rule)
    limit_unit: str | None = None  # working_days | calendar_days
    definition_id: int | None = None  # the newest definition the step's tasks ran in

    @property
    def ratio(self) -> float | None:
        """The median against the limit (1.0: the median takes the whole period)."""
        if not self.limit or self.limit_unit != "working_days":
            return None
        return self.median / self.limit

    @property
    def heat(self) -> str:
        return heat_class(self.ratio)


#: The heatmap's classes, by the median's share of the limit: within half of it, within it,
#: over it; "none" where the step has no limit in working days.
HEAT_CLASSES = ("low", "mid", "high", "none")


def heat_class(ratio: float | None) -> str:
    if ratio is None:
        return "none"
    if ratio <= 0.5:
        return "low"
    return "mid" if ratio <= 1 else "high"


@dataclass(frozen=True)
class OpenStep:
    spec_id: str
    name: str
    open: int
    overdue: int
    name_en: str | None = None
    definition_id: int | None = None  # that of the newest instance waiting at the step


@dataclass
class TaskFigures:
    #: organisation -> (open, overdue)
    by_agency: dict[str, tuple[int, int]]
    #: step (spec id) -> its open and overdue tasks
    by_step: dict[str, OpenStep]
    step_times: list[StepTime] = field(default_factory=list)


def _draft_task_conditions(filters: Filters, scope: DashboardScope) -> list[ColumnElement[bool]]:
    return [
        *_type_conditions(Draft.document_type, filters),
        *_agency_conditions(Draft.lead_agency, filters, scope),
    ]


def _as_day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _task_name(session: Session, spec_id: str) -> str:
    """The name a step's task rows carry, where its definition does not say (one row read:
    the step-time query groups from an index that does not hold names)."""
    name = session.execute(
        select(HumanTask.spec_name).where(HumanTask.spec_id == spec_id).limit(1)
    ).scalar()
    return name or spec_id


def _ranked(counted: Counter[int], rank: int) -> int:
    """The value at 0-based ``rank`` of the sorted values ``counted`` holds (value -> times)."""
    seen = 0
    for value in sorted(counted):
        seen += counted[value]
        if rank < seen:
            return value
    raise IndexError(rank)


def _counted_median(counted: Counter[int], n: int) -> float:
    """:func:`statistics.median` of the values ``counted`` holds, without listing them."""
    low, high = _ranked(counted, (n - 1) // 2), _ranked(counted, n // 2)
    return float(low) if low == high else (low + high) / 2


class _Rules:
    """Rule-table periods per (document type, procedure, step), read once per document type."""

    def __init__(self, session: Session, as_of: date) -> None:
        self._session = session
        self._as_of = as_of
        self._snapshots: dict[str, dict[str, dict[str, Any]]] = {}

    def rule(self, document_type: str, procedure: str | None, step: str) -> tuple[int, str] | None:
        if document_type not in self._snapshots:
            self._snapshots[document_type] = rules_snapshot(
                self._session, document_type, self._as_of
            )
        rule = self._snapshots[document_type].get(procedure or "normal", {}).get(step)
        return (int(rule["amount"]), str(rule["unit"])) if rule else None


def task_figures(
    session: Session,
    filters: Filters,
    scope: DashboardScope,
    calendar: WorkingCalendar,
    steps: StepCatalog,
    now: datetime | None = None,
) -> TaskFigures:
    """Open and overdue tasks of drafts by agency and step; step times over the period.

    Open work is what is open *now*, whatever the year; the year (or ``period_from`` and
    ``period_to``) chooses which completed tasks the step times cover. Durations are in
    working days (Art. 147: the day the task arrived is not counted). A step's limit is the
    rule table's period for the deadline rule its model names (``steps``), for each task's
    document type and procedure as the table stands at the end of the period; a step whose
    model names no rule has no limit.
    """
    now = clock.as_utc(now) if now else clock.now()
    conditions = _draft_task_conditions(filters, scope)
    # One pass over the open tasks (a covering index, each task joined to its draft for the
    # filters) counts them per organisation and step together: two passes, one per
    # grouping, cost twice the join. The step's definition (for its names) is that of the
    # newest instance waiting there, looked up for those few instances only, not joined to
    # every task.
    by_agency_step = session.execute(
        select(
            HumanTask.organisation,
            HumanTask.spec_id,
            func.max(HumanTask.instance_id),
            func.count(),
            func.sum(case((HumanTask.due_at < now, 1), else_=0)),
        )
        .join(Draft, Draft.instance_id == HumanTask.instance_id)
        .where(OPEN_TASK, *conditions)
        .group_by(HumanTask.organisation, HumanTask.spec_id)
    ).all()
    agencies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    open_steps: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # open, late, instance
    for org, spec, newest_instance, n, late_tasks in by_agency_step:
        agencies[org or ""][0] += int(n)
        agencies[org or ""][1] += int(late_tasks or 0)
        counted_step = open_steps[spec]
        counted_step[0] += int(n)
        counted_step[1] += int(late_tasks or 0)
        counted_step[2] = max(counted_step[2], int(newest_instance))
    by_agency = {org: (n, late_n) for org, (n, late_n) in sorted(agencies.items())}
    definition_of = dict(
        session.execute(
            select(ProcessInstance.id, ProcessInstance.definition_id).where(
                ProcessInstance.id.in_(sorted({c[2] for c in open_steps.values()}))
            )
        ).all()
    )
    by_step: dict[str, OpenStep] = {}
    for spec, (n, late_n, newest_instance) in sorted(open_steps.items()):
        definition_id = definition_of.get(newest_instance)
        facts = steps.facts(definition_id, spec)
        by_step[spec] = OpenStep(
            spec,
            facts.name or _task_name(session, spec),
            n,
            late_n,
            facts.name_en,
            definition_id,
        )
    first, last = filters.period()
    step = CompletedStep
    done = session.execute(
        select(
            step.spec_id,
            step.definition_id,
            step.document_type,
            step.procedure,
            type_coerce(step.created_day, String),  # parsed once per distinct pair below
            type_coerce(step.completed_day, String),
            func.count(),
        )
        .where(
            step.completed_day >= first,
            step.completed_day <= last,
            *_type_conditions(step.document_type, filters),
            *_agency_conditions(step.lead_agency, filters, scope),
        )
        .group_by(
            step.spec_id,
            step.definition_id,
            step.document_type,
            step.procedure,
            step.created_day,
            step.completed_day,
        )
    ).all()
    rules = _Rules(session, min(last, vietnam_date(now)))
    # (created, completed) -> tasks, per step, definition, document type and procedure: what
    # decides a task's span and rule, each worked out once per distinct value.
    pairs: dict[tuple[str, int, str, str | None], Counter[tuple[Any, Any]]] = defaultdict(Counter)
    for spec, definition_id, document_type, procedure, created, completed, n in done:
        pairs[spec, definition_id, document_type, procedure][created, completed] += n
    # span (working days) -> tasks, per step: quantiles from the counts, not from a list of
    # one entry per task (330 k completed tasks a year with 100 k drafts).
    spans: dict[str, Counter[int]] = defaultdict(Counter)
    between: dict[tuple[Any, Any], tuple[int, int]] = {}  # -> working days, calendar days
    limits: dict[str, Counter[tuple[int, str]]] = defaultdict(Counter)
    late: Counter[str] = Counter()
    names: dict[str, tuple[str, str | None, str | None]] = {}
    newest: dict[str, int] = {}
    # In key order (a step's oldest definition names it, and among limits as common as each
    # other the first one wins), whatever order the database grouped in.
    for key in sorted(pairs, key=lambda k: (k[0], k[1] or 0, k[2], k[3] or "")):
        spec, definition_id, document_type, procedure = key
        facts = steps.facts(definition_id, spec)
        if spec not in names:
            name = facts.name or _task_name(session, spec)
            names[spec] = (name, facts.name_en, facts.rule_step)
        newest[spec] = max(newest.get(spec, 0), definition_id or 0)
        rule = rules.rule(document_type, procedure, facts.rule_step) if facts.rule_step else None
        counted = spans[spec]
        for pair, n in pairs[key].items():
            if pair not in between:
                start, end = _as_day(pair[0]), _as_day(pair[1])
                between[pair] = (calendar.working_days_between(start, end), (end - start).days)
            span, days = between[pair]
            counted[span] += n
            if rule is not None:
                limits[spec][rule] += n
                if (span if rule[1] == "working_days" else days) > rule[0]:
                    late[spec] += n
    step_times = []
    for spec, counted in sorted(spans.items()):
        name, name_en, rule_step = names[spec]
        completed = sum(counted.values())
        limit = limits[spec].most_common(1)[0][0] if limits[spec] else None
        step_times.append(
            StepTime(
                spec,
                name,
                completed,
                _counted_median(counted, completed),
                float(_ranked(counted, max(0, math.ceil(0.9 * completed) - 1))),
                limit[0] if limit else None,
                late[spec],
                name_en,
                rule_step,
                limit[1] if limit else None,
                newest.get(spec) or None,
            )
        )
    return TaskFigures(by_agency, by_step, step_times)


# The registry -------------------------------------------------------------------------------


@dataclass
class RegistryFigures:
    in_force: int
    #: impact class (or "unassessed") -> count, over the regulations in force
    by_impact: dict[str, int]
    #: status on ``today`` -> count, over every registered regulation
    by_status: dict[str, int]
    #: link kind (amends, replaces...) -> count of links to the filtered regulations
    links: dict[str, int]


def registry_figures(
    session: Session, filters: Filters, scope: DashboardScope, today: date | None = None
) -> RegistryFigures:
    """Regulations in force by latest impact class; all regulations by status; links arising.

    The registry is judged on ``today`` (Vietnamese today): the year filter does not apply.
    """
    today = today or vietnam_date(clock.now())
    conditions = [
        *_type_conditions(Regulation.document_type, filters),
        *_agency_conditions(Regulation.lead_agency, filters, scope),
    ]
    latest_id = (
        select(ImpactAssessment.regulation_id, func.max(ImpactAssessment.id).label("last_id"))
        .group_by(ImpactAssessment.regulation_id)
        .subquery()
    )
    latest = (
        select(ImpactAssessment.regulation_id, ImpactAssessment.impact)
        .join(latest_id, ImpactAssessment.id == latest_id.c.last_id)
        .subquery()
    )
    in_force = (
        select(func.coalesce(latest.c.impact, UNASSESSED).label("impact"))
        .select_from(Regulation)
        .outerjoin(latest, latest.c.regulation_id == Regulation.id)
        .where(status_is("in_force", today), *conditions)
        .subquery()
    )
    by_impact = dict.fromkeys((*IMPACTS, UNASSESSED), 0)
    for impact, n in session.execute(
        select(in_force.c.impact, func.count()).group_by(in_force.c.impact)
    ).all():
        by_impact[impact] = n
    status = case(
        *((status_is(name, today), literal(name)) for name in STATUSES),
        else_=Regulation.status,
    )
    statuses = select(status.label("status")).where(*conditions).subquery()
    by_status = dict.fromkeys(STATUSES, 0)
    for name, n in session.execute(
        select(statuses.c.status, func.count()).group_by(statuses.c.status)
    ).all():
        by_status[name] = n
    links = dict(
        session.execute(
            select(RegulationLink.kind, func.count())
            .join(Regulation, Regulation.id == RegulationLink.target_id)
            .where(*conditions)
            .group_by(RegulationLink.kind)
            .order_by(RegulationLink.kind)
        ).all()
    )
    return RegistryFigures(sum(by_impact.values()), by_impact, by_status, links)
