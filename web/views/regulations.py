"""The registry of regulations: what is in force, how the documents link, whether they work.

Regulations are promulgated, published documents, so every signed-in civil servant may read
the registry; the draft a regulation came from is linked only for those who may see that
draft (:func:`web.access.can_view_draft`). The impact box counts the regulations in force by
their latest assessment, as the provinces report it (e.g. 164 clear, 6 unclear, 1 not yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from web import params
from web.access import can_view_draft
from web.auth import current_actor, holds_any, login_required
from web.extensions import lifecycle
from web.templating import wants_rows_only
from web.views.draft_list import draft_url
from workflows.drafts import DOCUMENT_TYPES, Draft
from workflows.registry import (
    IMPACTS,
    STATUSES,
    ImpactAssessment,
    Regulation,
    RegulationFilter,
    current_impacts,
    impact_summary,
    links_of,
    list_regulations,
    registry_today,
    status_on,
)

bp = Blueprint("regulations", __name__)
#: Who keeps the registry by hand (entry form, import); administrators always may.
KEEPER_ROLES = ("inspector", "ubnd_office", "hdnd_office")


def status_labels() -> dict[str, str]:
    return {
        "in_force": _("In force"),
        "amended": _("Amended"),
        "replaced": _("Replaced"),
        "suspended": _("Suspended"),
        "expired": _("No longer in force"),
    }


def impact_labels() -> dict[str, str]:
    return {
        "clear": _("Clear effect"),
        "unclear": _("Unclear effect"),
        "not_yet": _("No effect yet"),
        "unassessed": _("Not assessed"),
    }


def link_labels() -> dict[tuple[str, bool], str]:
    """(kind, this regulation is the source) → how the link reads from this regulation."""
    return {
        ("amends", True): _("Amends"),
        ("amends", False): _("Amended by"),
        ("replaces", True): _("Replaces"),
        ("replaces", False): _("Replaced by"),
        ("suspends", True): _("Suspends"),
        ("suspends", False): _("Suspended by"),
        ("repeals", True): _("Repeals"),
        ("repeals", False): _("Repealed by"),
        ("details", True): _("Details"),
        ("details", False): _("Detailed by"),
    }


@dataclass(frozen=True)
class Filters:
    text: str | None = None
    document_type: str | None = None
    status: str | None = None
    impact: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls) -> Filters:
        args = request.args
        values = {
            "document_type": (params.choice("document_type", DOCUMENT_TYPES), DOCUMENT_TYPES),
            "status": (params.choice("status", STATUSES), STATUSES),
            "impact": (params.choice("impact", IMPACTS), IMPACTS),
        }
        return cls(
            text=(args.get("q") or "").strip()[:200] or None,
            document_type=values["document_type"][0],
            status=values["status"][0],
            impact=values["impact"][0],
            page=params.integer("page", 1, minimum=1, maximum=100_000) or 1,
        )


@bp.get("/regulations")
@login_required
def index() -> Any:
    filters = Filters.from_args()
    page_size = int(current_app.config.get("PAGE_SIZE", 25))
    today = registry_today()
    with lifecycle().db.read() as session:
        rows, total = list_regulations(
            session,
            RegulationFilter(
                text=filters.text,
                document_type=filters.document_type,
                status=filters.status,
                impact=filters.impact,
                today=today,
                limit=page_size,
                offset=(filters.page - 1) * page_size,
            ),
        )
        summary = impact_summary(session, filters.document_type, today)
        impacts = current_impacts(session)
        status_of = {row.id: status_on(row, today) for row in rows}
    return render_template(
        "regulations/rows.html" if wants_rows_only() else "regulations/index.html",
        regulations=rows,
        total=total,
        pages=max(1, -(-total // page_size)),
        filters=filters,
        summary=summary,
        impacts=impacts,
        status_of=status_of,
        may_keep=holds_any(current_actor(), *KEEPER_ROLES),
        document_types=DOCUMENT_TYPES,
        statuses=STATUSES,
        impact_codes=IMPACTS,
        status_labels=status_labels(),
        impact_labels=impact_labels(),
    )


@bp.get("/regulations/<int(max=2147483647):regulation_id>")
@login_required
def show(regulation_id: int) -> Any:
    actor = current_actor()
    with lifecycle().db.read() as session:
        regulation = session.get(Regulation, regulation_id)
        if regulation is None:
            abort(404)
        labels = link_labels()
        links = []
        for link in links_of(session, regulation.id):
            outgoing = link.source_id == regulation.id
            other = session.get(Regulation, link.target_id if outgoing else link.source_id)
            links.append((labels.get((link.kind, outgoing), link.kind), other, link))
        source = session.get(Draft, regulation.draft_id) if regulation.draft_id else None
        follow_ups = list(
            session.execute(
                select(Draft)
                .where(Draft.follows_regulation_id == regulation.id)
                .order_by(Draft.created_at)
            ).scalars()
        )
        history = list(
            session.execute(
                select(ImpactAssessment)
                .where(ImpactAssessment.regulation_id == regulation.id)
                .order_by(ImpactAssessment.assessed_at.desc(), ImpactAssessment.id.desc())
            ).scalars()
        )
        visible = {
            draft.id: draft_url(draft.id, draft.code)
            for draft in [source, *follow_ups]
            if draft is not None and can_view_draft(session, actor, draft)
        }
    return render_template(
        "regulations/show.html",
        regulation=regulation,
        status=status_on(regulation, registry_today()),
        may_keep=holds_any(actor, *KEEPER_ROLES),
        links=links,
        source=source,
        follow_ups=follow_ups,
        draft_links=visible,
        history=history,
        status_labels=status_labels(),
        impact_labels=impact_labels(),
    )
