"""The list of drafts a user may see, and the form that starts a new draft.

The list is a query over the draft table limited by the organisation-based visibility rules
(:mod:`web.access`), searched by title or code, filtered by the labels a draft carries and
paged. The form collects what the law and the plan say about a document and hands it to
:meth:`~workflows.lifecycle.Lifecycle.start_draft`, which creates the draft and starts its
process in one transaction; what the engine refuses is shown in the form. The draft's own
page (``drafts.show``) lives in another module and is linked only when it is mounted.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, Conflict, EngineError, Forbidden, clock
from web import params
from web.access import visible_organisations
from web.auth import current_actor, holds_any, login_required, roles_required
from web.extensions import lifecycle
from web.i18n import localize
from web.templating import wants_rows_only
from workflows.calendar import vietnam_date
from workflows.directory import Organisation, active_organisations
from workflows.drafts import DOCUMENT_TYPES, STATUSES, Draft, DraftFilter, list_drafts
from workflows.lifecycle import GROUNDS
from workflows.plan import PlanItem
from workflows.roles import STAGE_CODES

bp = Blueprint("drafts", __name__)

STARTER_ROLES = ("drafter", "agency_head")
MAX_TEXT = 20_000
#: Grounds of the simplified procedure (Law 64/2025/QH15 Art. 50), Vietnamese then English.
GROUND_LABELS: dict[str, tuple[str, str]] = {
    "none": ("Không (thủ tục thông thường)", "None (normal procedure)"),
    "emergency": ("Trường hợp khẩn cấp", "Emergency"),
    "defence": ("Bảo đảm quốc phòng, an ninh", "National defence and security"),
    "disaster": ("Phòng, chống, khắc phục thiên tai", "Natural disaster"),
    "epidemic": ("Phòng, chống dịch bệnh", "Epidemic"),
    "urgent_practical_issue": (
        "Giải quyết vấn đề cấp bách phát sinh trong thực tiễn",
        "Urgent problem arising in practice",
    ),
    "suspension": (
        "Ngưng hiệu lực toàn bộ hoặc một phần văn bản",
        "Suspending all or part of a document",
    ),
    "superior_document_alignment": (
        "Kịp thời phù hợp với văn bản mới của cơ quan nhà nước cấp trên",
        "Immediate alignment with a new superior document",
    ),
    "treaty_alignment": (
        "Kịp thời thực hiện điều ước quốc tế mới",
        "Immediate alignment with a new treaty",
    ),
    "validity_adjustment": (
        "Điều chỉnh thời hạn áp dụng của văn bản",
        "Adjusting how long a document applies",
    ),
    "simplified_detailing": (
        "Quy định chi tiết văn bản ban hành theo thủ tục rút gọn",
        "Detailing a document made under the simplified procedure",
    ),
}


def ground_label(code: str) -> str:
    names = GROUND_LABELS.get(code)
    if names is None:
        return code
    return names[0] if str(get_locale() or "vi") == "vi" else names[1]


def draft_url(draft_id: int | None, code: str | None = None) -> str | None:
    """The draft page's URL, or (no id) the drafts list searched for ``code``.

    Callers link only drafts the user may see (:func:`web.access.can_view_draft`).
    """
    if draft_id is not None:
        return url_for("draft.show", draft_id=draft_id)
    return url_for("drafts.index", q=code) if code else None


def _criteria() -> DraftFilter:
    """The list's search and filters from the query string (paging and visibility aside)."""
    return DraftFilter(
        text=(request.args.get("q") or "").strip()[:200] or None,
        document_type=params.choice("document_type", DOCUMENT_TYPES),
        stage=params.choice("stage", STAGE_CODES),
        status=params.choice("status", STATUSES),
        lead_agency=(request.args.get("lead_agency") or "").strip()[:40] or None,
        plan_year=params.integer("plan_year", minimum=2000, maximum=2100),
    )


@bp.get("/drafts")
@login_required
def index() -> Any:
    actor = current_actor()
    filters = _criteria()
    page = params.integer("page", 1, minimum=1, maximum=100_000) or 1
    page_size = int(current_app.config.get("PAGE_SIZE", 25))
    with lifecycle().db.read() as session:
        drafts, total = list_drafts(
            session,
            replace(
                filters,
                visible_to=visible_organisations(session, actor),
                worked_by=actor.id,
                limit=page_size,
                offset=(page - 1) * page_size,
            ),
        )
        organisations = active_organisations(session)
    return render_template(
        "drafts/rows.html" if wants_rows_only() else "drafts/index.html",
        drafts=drafts,
        total=total,
        pages=max(1, -(-total // page_size)),
        filters=filters,
        page=page,
        organisations=organisations,
        document_types=DOCUMENT_TYPES,
        stages=STAGE_CODES,
        statuses=STATUSES,
        draft_url=draft_url,
        may_start=holds_any(actor, *STARTER_ROLES),
    )


def lead_agency_choices(session: Session, actor: Actor) -> list[Organisation]:
    """Organisations the actor may lead a draft for: where they draft or head (all for admins)."""
    organisations = active_organisations(session)
    if actor.is_admin:
        return organisations
    return [o for o in organisations if any(actor.holds(r, o.code) for r in STARTER_ROLES)]


def _open_plan_items(session: Session, lead_agencies: list[str]) -> list[PlanItem]:
    started = select(Draft.plan_item_id).where(Draft.plan_item_id.is_not(None))
    return list(
        session.execute(
            select(PlanItem)
            .where(PlanItem.lead_agency.in_(lead_agencies), PlanItem.id.not_in(started))
            .order_by(PlanItem.year.desc(), PlanItem.id)
            .limit(500)
        ).scalars()
    )


def _commune_of(session: Session, code: str) -> str | None:
    """The commune a commune office or body belongs to (walking up the organisation tree)."""
    seen: set[str] = set()
    current = session.get(Organisation, code)
    while current is not None and current.code not in seen:
        if current.kind == "commune":
            return current.code
        seen.add(current.code)
        current = session.get(Organisation, current.parent_code) if current.parent_code else None
    return None


def parse_date(value: str | None) -> date | None:
    """A date typed as YYYY-MM-DD (date inputs) or DD/MM/YYYY; ValueError if neither."""
    text = (value or "").strip()
    if not text:
        return None
    if "/" in text:
        return datetime.strptime(text, "%d/%m/%Y").date()
    return date.fromisoformat(text)


class FormError(Exception):
    """A field the user must correct; shown in the form with status 422."""


def _form_values() -> dict[str, Any]:
    form = request.form
    return {
        "title": form.get("title", "").strip(),
        "document_type": form.get("document_type", ""),
        "lead_agency": form.get("lead_agency", ""),
        "plan_year": form.get("plan_year", "").strip(),
        "target_session": form.get("target_session", "").strip(),
        "target_date": form.get("target_date", "").strip(),
        "ground": form.get("ground", "none") or "none",
        "legal_basis": form.get("legal_basis", "").strip(),
        "summary": form.get("summary", "").strip(),
        "consulted": form.getlist("consulted_agencies"),
        "plan_item": form.get("plan_item", "").strip(),
    }


def _start_arguments(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Check what the engine does not, and turn the form into ``start_draft`` arguments."""
    try:
        plan_year = int(values["plan_year"]) if values["plan_year"] else None
    except ValueError as exc:
        raise FormError(_("The plan year is a year such as 2026.")) from exc
    if plan_year is not None and not 2000 <= plan_year <= 2100:
        raise FormError(_("The plan year is a year such as 2026."))
    try:
        target_date = parse_date(values["target_date"])
    except ValueError as exc:
        raise FormError(_("The target date is a date such as 15/07/2026.")) from exc
    if len(values["target_session"]) > 200:
        raise FormError(_("The target session is at most 200 characters."))
    if max(len(values["legal_basis"]), len(values["summary"])) > MAX_TEXT:
        raise FormError(_("The legal basis and summary are at most 20000 characters each."))
    if len(values["consulted"]) > 100:
        raise FormError(_("Choose at most 100 consulted agencies."))
    plan_item_id = None
    if values["plan_item"]:
        raw = values["plan_item"]
        item = session.get(PlanItem, int(raw)) if raw.isdigit() and len(raw) <= 9 else None
        if item is None:
            raise FormError(_("The plan item does not exist."))
        if item.lead_agency != values["lead_agency"]:
            raise FormError(_("The plan item belongs to another lead agency."))
        taken = session.execute(select(Draft.id).where(Draft.plan_item_id == item.id)).first()
        if taken is not None:
            raise FormError(_("A draft for this plan item has already been started."))
        plan_item_id = item.id
        plan_year = plan_year or item.year
    return {
        "title": values["title"],
        "document_type": values["document_type"],
        "lead_agency": values["lead_agency"],
        "plan_year": plan_year,
        "target_session": values["target_session"] or None,
        "target_date": target_date,
        "ground": values["ground"],
        "legal_basis": values["legal_basis"] or None,
        "summary": values["summary"] or None,
        "commune": _commune_of(session, values["lead_agency"]),
        "consulted_agencies": [code for code in values["consulted"] if code],
        "plan_item_id": plan_item_id,
    }


def _new_form(actor: Actor, values: dict[str, Any], error: str | None, status: int) -> Any:
    with lifecycle().db.read() as session:
        leads = lead_agency_choices(session, actor)
        organisations = active_organisations(session)
        plan_items = _open_plan_items(session, [o.code for o in leads])
    return (
        render_template(
            "drafts/new.html",
            values=values,
            error=error,
            lead_agencies=leads,
            organisations=organisations,
            plan_items=plan_items,
            document_types=DOCUMENT_TYPES,
            grounds=GROUNDS,
            ground_label=ground_label,
        ),
        status,
    )


@bp.route("/drafts/new", methods=["GET", "POST"])
@roles_required(*STARTER_ROLES)
def new() -> Any:
    actor = current_actor()
    if request.method == "GET":
        values = {
            "plan_year": str(vietnam_date(clock.now()).year),
            "ground": "none",
            "consulted": [],
            "plan_item": request.args.get("plan_item", ""),
        }
        return _new_form(actor, values, None, 200)
    values = _form_values()
    try:
        with lifecycle().db.write() as session:
            draft = lifecycle().start_draft(session, actor, **_start_arguments(session, values))
            draft_id, code = draft.id, draft.code
    except FormError as exc:
        return _new_form(actor, values, str(exc), 422)
    except Forbidden as exc:
        return _new_form(actor, values, localize(exc.message), 403)
    except Conflict as exc:
        return _new_form(actor, values, localize(exc.message), 409)
    except EngineError as exc:
        return _new_form(actor, values, localize(exc.message), 422)
    flash(_("Draft %(code)s was created and its process started.", code=code), "info")
    return redirect(draft_url(draft_id) or url_for("drafts.index"))
