"""The annual plan of documents to build and how far each item is behind it.

The plan is adopted by the People's Committee and the People's Council and reported on
publicly, so every signed-in civil servant reads the whole plan; the draft behind an item is
linked only for those who may see that draft. The state of each item and its reason come
from :func:`workflows.plan.plan_status`; counts per state head the page ("8 behind").
"""

from __future__ import annotations

from collections import Counter
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
from workflows import search
from workflows.calendar import vietnam_date
from workflows.drafts import DOCUMENT_TYPES
from workflows.plan import PlanItem, PlanStatus, plan_status
from workflows.plan_entry import may_edit_plan
from workflows.reports.plan_watch import BackwardPlanner

bp = Blueprint("plan", __name__)

STATES = ("behind", "on_track", "not_started", "done", "dropped")


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


def _matches(row: PlanStatus, text: str, document_type: str, lead_agency: str) -> bool:
    item = row.item
    if document_type and item.document_type != document_type:
        return False
    if lead_agency and item.lead_agency != lead_agency:
        return False
    return search.matches(text, item.title, row.draft.code if row.draft else None)


def _may_start(actor: Actor, lead_agency: str) -> bool:
    return actor.is_admin or any(actor.holds(r, lead_agency) for r in ("drafter", "agency_head"))


@bp.get("/plan")
@login_required
def index() -> Any:
    actor = current_actor()
    year = params.integer("year", vietnam_date(clock.now()).year, minimum=2000, maximum=2100)
    page = params.integer("page", 1, minimum=1, maximum=100_000)
    state = params.choice("state", STATES) or ""
    document_type = params.choice("document_type", DOCUMENT_TYPES) or ""
    lead_agency = (request.args.get("lead_agency") or "").strip()[:40]
    text = (request.args.get("q") or "").strip()[:200]
    page_size = int(current_app.config.get("PAGE_SIZE", 25))
    with lifecycle().db.read() as session:
        rows = plan_status(session, year)
        years = sorted(
            set(session.execute(select(distinct(PlanItem.year))).scalars()) | {year},
            reverse=True,
        )
        draft_links = {
            row.draft.id: draft_url(row.draft.id, row.draft.code)
            for row in rows
            if row.draft is not None and can_view_draft(session, actor, row.draft)
        }
        may_edit = may_edit_plan(session, actor)
        counts = Counter(row.state for row in rows)
        matching = [
            row
            for row in rows
            if (not state or row.state == state) and _matches(row, text, document_type, lead_agency)
        ]
        pages = max(1, -(-len(matching) // page_size))
        shown = matching[(page - 1) * page_size : page * page_size]
        planner = BackwardPlanner(session, lifecycle().calendar(), vietnam_date(clock.now()))
        slack = {
            row.draft.id: planner.for_draft(row.draft) for row in shown if row.draft is not None
        }
    agencies = sorted({row.item.lead_agency for row in rows})
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
        total=len(matching),
        all_count=len(rows),
        counts=counts,
        states=STATES,
        state=state,
        page=page,
        pages=pages,
        text=text,
        document_type=document_type,
        lead_agency=lead_agency,
        agencies=agencies,
        document_types=DOCUMENT_TYPES,
        state_labels=state_labels(),
        reason_label=reason_label,
        slack=slack,
        draft_links=draft_links,
        start_links=start_links,
        may_edit=may_edit,
    )
