"""The annual plan of documents to build and how far each item is behind it.

The plan is adopted by the People's Committee and the People's Council and reported on
publicly, so every signed-in civil servant reads the whole plan; the draft behind an item is
linked only for those who may see that draft. The state of each item and its reason come
from :func:`workflows.plan.plan_page` (the plan rule in SQL: the page counts and pages in the
database, so a plan of 100 k items costs what a plan of 100 does); counts per state head the
page ("8 behind").
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import distinct, select

from engine import Actor, clock
from web import params
from web.access import can_view_draft
from web.auth import current_actor, login_required
from web.extensions import lifecycle
from web.views.draft_list import draft_url
from workflows.calendar import vietnam_date
from workflows.drafts import DOCUMENT_TYPES
from workflows.plan import PLAN_STATES, PlanFilter, PlanItem, plan_page
from workflows.plan_entry import may_edit_plan
from workflows.reports.plan_watch import BackwardPlanner

bp = Blueprint("plan", __name__)

STATES = PLAN_STATES


def state_labels() -> dict[str, str]:
    return {
        "not_started": _("Not started"),
        "on_track": _("On track"),
        "behind": _("Behind plan"),
        "done": _("Done"),
        "dropped": _("Dropped"),
    }


def reason_label(reason: str | None) -> str:
    """The reasons :mod:`workflows.plan` gives, as translatable text."""
    labels = {
        "drafting has not started": _("drafting has not started"),
        "a step is past its deadline": _("a step is past its deadline"),
        "the target session has passed": _("the target session has passed"),
        "an administrator cancelled the draft": _("an administrator cancelled the draft"),
    }
    return labels.get(reason or "", reason or "")


def _may_start(actor: Actor, lead_agency: str) -> bool:
    return actor.is_admin or any(actor.holds(r, lead_agency) for r in ("drafter", "agency_head"))


@bp.get("/plan")
@login_required
def index() -> Any:
    actor = current_actor()
    year = params.integer("year", vietnam_date(clock.now()).year, minimum=2000, maximum=2100)
    page = params.integer("page", 1, minimum=1, maximum=100_000)
    flt = PlanFilter(
        state=params.choice("state", STATES) or "",
        document_type=params.choice("document_type", DOCUMENT_TYPES) or "",
        lead_agency=(request.args.get("lead_agency") or "").strip()[:40],
        text=(request.args.get("q") or "").strip()[:200],
    )
    page_size = int(current_app.config.get("PAGE_SIZE", 25))
    with lifecycle().db.read() as session:
        found = plan_page(session, year, flt, (page - 1) * page_size, page_size)
        shown = found.rows
        years = sorted(
            set(session.execute(select(distinct(PlanItem.year))).scalars()) | {year},
            reverse=True,
        )
        draft_links = {
            row.draft.id: draft_url(row.draft.id, row.draft.code)
            for row in shown
            if row.draft is not None and can_view_draft(session, actor, row.draft)
        }
        may_edit = may_edit_plan(session, actor)
        planner = BackwardPlanner(session, lifecycle().calendar(), vietnam_date(clock.now()))
        slack = {
            row.draft.id: planner.for_draft(row.draft) for row in shown if row.draft is not None
        }
    pages = max(1, -(-found.total // page_size))
    start_links = {
        row.item.id: url_for("drafts.new", plan_item=row.item.id)
        for row in shown
        if row.draft is None
        and "drafts.new" in current_app.view_functions
        and _may_start(actor, row.item.lead_agency)
    }
    return render_template(
        "plan/index.html",
        year=year,
        years=years,
        rows=shown,
        total=found.total,
        all_count=found.all_count,
        counts=found.counts,
        states=STATES,
        state=flt.state,
        page=page,
        pages=pages,
        text=flt.text,
        document_type=flt.document_type,
        lead_agency=flt.lead_agency,
        agencies=found.agencies,
        document_types=DOCUMENT_TYPES,
        state_labels=state_labels(),
        reason_label=reason_label,
        slack=slack,
        draft_links=draft_links,
        start_links=start_links,
        may_edit=may_edit,
    )
