"""The task inbox: my tasks, tasks offered to my roles, and my organisation's (for heads).

Every list is a query over the human-task projection (never a workflow), filtered by labels
(document type, stage, lead agency), due date, priority and follow-up date, sorted soonest
due first (or by priority, or by follow-up date), paged; the tab badges are counts capped at
1000. Saved filters (web.views.inbox_filters) are further tabs that open a list with their
parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from sqlalchemy import exists, select
from werkzeug.exceptions import BadRequest

from engine import Actor, RoleGrant, TaskQuery, clock
from engine.task_attributes import PRIORITIES, today
from engine.task_queries import FOLLOW_UP_FILTERS, SORTS, TaskInfo
from web import params
from web.auth import current_actor, login_required
from web.extensions import lifecycle
from web.templating import wants_rows_only
from workflows import inbox_filters
from workflows.calendar import end_of_day, vietnam_date
from workflows.directory import Organisation
from workflows.drafts import DOCUMENT_TYPES, Draft
from workflows.roles import STAGE_CODES, SUPERVISOR_ROLES

bp = Blueprint("inbox", __name__)
TABS = ("mine", "offered", "organisation")
NEAR_DAYS = 3  # rows due within this many working days are marked "near due"


def supervised_organisations(actor: Actor) -> list[str]:
    return sorted(
        {g.organisation for g in actor.grants if g.role in SUPERVISOR_ROLES and g.organisation}
    )


def tab_query(actor: Actor, tab: str) -> TaskQuery | None:
    if tab == "mine":
        return TaskQuery(assignee=actor.id)
    if tab == "offered":
        grants = tuple(sorted(actor.grants, key=lambda g: (g.role, g.organisation or "")))
        return TaskQuery(grants=tuple(RoleGrant(g.role, g.organisation) for g in grants))
    if tab == "organisation":
        organisations = supervised_organisations(actor)
        if not organisations:
            return None
        return TaskQuery(organisation=organisations[0]) if len(organisations) == 1 else None
    raise BadRequest(_("Unknown list: %(tab)s.", tab=tab))


#: The query parameters of a list (what a saved filter keeps; ``page`` is not kept).
FILTER_PARAMS = (
    "tab",
    "organisation",
    "document_type",
    "stage",
    "lead_agency",
    "overdue",
    "due_within",
    "priority",
    "follow_up",
    "sort",
)


@dataclass(frozen=True)
class InboxFilters:
    document_type: str | None = None
    stage: str | None = None
    lead_agency: str | None = None
    overdue: bool = False
    due_within: int | None = None
    organisation: str | None = None
    priority: str | None = None  # a name of engine.task_attributes.PRIORITIES
    follow_up: str | None = None  # one of engine.task_queries.FOLLOW_UP_FILTERS
    sort: str = "due"  # one of engine.task_queries.SORTS
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str] | None = None) -> InboxFilters:
        """The filters of the query string (or of ``args``); 400 for a value out of range."""
        args = request.args if args is None else args
        document_type = params.choice("document_type", DOCUMENT_TYPES, args=args)
        stage = params.choice("stage", STAGE_CODES, args=args)
        due_within = params.integer("due_within", minimum=0, maximum=365, args=args)
        page = params.integer("page", 1, minimum=1, maximum=100_000, args=args) or 1
        return cls(
            document_type=document_type,
            stage=stage,
            # Codes are upper case; a code typed by hand in any case still matches.
            lead_agency=(args.get("lead_agency") or "").strip().upper()[:40] or None,
            overdue=args.get("overdue") in ("1", "on", "true"),
            due_within=due_within,
            organisation=(args.get("organisation") or None),
            priority=params.choice("priority", PRIORITIES, args=args),
            follow_up=params.choice("follow_up", FOLLOW_UP_FILTERS, args=args),
            sort=params.choice("sort", SORTS, "due", args=args) or "due",
            page=page,
        )

    def apply(self, query: TaskQuery, page_size: int) -> TaskQuery:
        labels = tuple(
            (key, value)
            for key, value in (
                ("document_type", self.document_type),
                ("stage", self.stage),
                ("lead_agency", self.lead_agency),
            )
            if value
        )
        due_before: datetime | None = None
        if self.overdue:
            due_before = clock.now()
        elif self.due_within is not None:
            calendar = lifecycle().calendar()
            last = calendar.add_working_days(vietnam_date(clock.now()), self.due_within)
            due_before = end_of_day(last)
        return replace(
            query,
            labels=labels,
            due_before=due_before,
            priorities=(PRIORITIES[self.priority],) if self.priority else None,
            follow_up=self.follow_up,
            sort=self.sort,
            limit=page_size,
            offset=(self.page - 1) * page_size,
        )


def urgency(task: TaskInfo) -> str:
    """``overdue``, ``near`` (due within NEAR_DAYS working days) or ``ok``."""
    if task.due_at is None:
        return "ok"
    now = clock.now()
    if task.due_at < now:
        return "overdue"
    calendar = lifecycle().calendar()
    near_limit = end_of_day(calendar.add_working_days(vietnam_date(now), NEAR_DAYS))
    return "near" if task.due_at <= near_limit else "ok"


def follow_up_state(task: TaskInfo) -> str | None:
    """``today``, ``overdue`` (the day has passed) or ``later``; None without a date."""
    if task.follow_up_on is None:
        return None
    day = today()
    if task.follow_up_on == day:
        return "today"
    return "overdue" if task.follow_up_on < day else "later"


#: The organisations leading at least one draft (the lead agency filter's choices). One
#: index probe per organisation: ``SELECT DISTINCT lead_agency FROM draft`` reads every
#: draft's entry on each inbox page (PostgreSQL has no skip scan), 100 k of them in a year.
_LEAD_AGENCIES = select(Organisation.code).where(
    exists().where(Draft.lead_agency == Organisation.code)
)


@bp.get("/inbox")
@login_required
def index() -> Any:
    actor = current_actor()
    asked = params.choice("tab", TABS)
    tab = asked or "mine"
    filters = InboxFilters.from_args()
    page_size = 25
    engine = lifecycle().engine
    organisations = supervised_organisations(actor)
    # One read transaction (one snapshot, one BEGIN/COMMIT) for the badges and the rows.
    with lifecycle().db.read() as session:
        bases = {
            name: _query_for(actor, name, filters.organisation, organisations) for name in TABS
        }
        shown = {name: base for name, base in bases.items() if base is not None}
        badges = engine.count_each(
            [filters.apply(base, page_size) for base in shown.values()], session=session
        )
        counts: dict[str, int | None] = dict.fromkeys(TABS)
        counts.update(zip(shown, badges, strict=True))
        if asked is None and not counts["mine"] and counts["offered"]:
            tab = "offered"  # nothing of one's own yet: open on the work waiting to be claimed
        base = _query_for(actor, tab, filters.organisation, organisations)
        tasks = engine.tasks(filters.apply(base, page_size + 1), session=session) if base else []
        lead_agencies = sorted(
            {code for code in session.execute(_LEAD_AGENCIES).scalars() if code}
            | ({filters.lead_agency} if filters.lead_agency else set())
        )
        saved_filters = inbox_filters.visible_filters(session, actor)
        for row in saved_filters:
            session.expunge(row)
    saved_id = params.integer("saved", minimum=1, maximum=2**31 - 1)
    active_saved = next((row for row in saved_filters if row.id == saved_id), None)
    has_next = len(tasks) > page_size
    tasks = tasks[:page_size]
    rows_only = wants_rows_only()
    template = "inbox_rows.html" if rows_only else "inbox.html"
    return render_template(
        template,
        tab=tab,
        rows_only=rows_only,
        tasks=tasks,
        counts=counts,
        filters=filters,
        has_next=has_next,
        urgency={task.id: urgency(task) for task in tasks},
        follow_ups={task.id: follow_up_state(task) for task in tasks},
        priorities=list(PRIORITIES),
        follow_up_filters=FOLLOW_UP_FILTERS,
        organisations=organisations,
        document_types=DOCUMENT_TYPES,
        stages=STAGE_CODES,
        lead_agencies=lead_agencies,
        saved_filters=saved_filters,
        active_saved=active_saved,
        current_params={
            name: value for name in FILTER_PARAMS if (value := request.args.get(name, "").strip())
        }
        | {"tab": tab},
        own_organisations=inbox_filters.own_organisations(actor),
    )


def _query_for(
    actor: Actor, tab: str, organisation: str | None, organisations: list[str]
) -> TaskQuery | None:
    if tab != "organisation":
        return tab_query(actor, tab)
    if not organisations:
        return None
    chosen = organisation if organisation in organisations else organisations[0]
    return TaskQuery(organisation=chosen)
