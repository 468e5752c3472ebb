"""``/public/drafts``: the drafts in public consultation, for anyone (no sign-in).

What the citizens' list page (:mod:`web.public`) shows, as JSON: each draft in the
consultation stage with whether it is open for comment now, until when, the days left, and
the address of its public page.
"""

from __future__ import annotations

from flask import Response, jsonify, url_for

from web import params
from web.api.common import api_blueprint
from web.api.serializers import iso
from web.extensions import lifecycle
from workflows.calendar import vietnam_date
from workflows.consultation.window import drafts_in_consultation

bp = api_blueprint("public_drafts", __name__, public=True)


@bp.get("/public/drafts")
def index() -> Response:
    text = params.text("q")
    life = lifecycle()
    with life.db.read() as session:
        found = drafts_in_consultation(session, life.engine, life.calendar(), text)
        items = [
            {
                "id": draft.id,
                "code": draft.code,
                "title": draft.title,
                "lead_agency": draft.lead_agency,
                "summary": draft.summary,
                "open": window is not None,
                "closes_at": iso(window.closes_at) if window else None,
                "closes_on": vietnam_date(window.closes_at).isoformat() if window else None,
                "days_left": window.days_left if window else None,
                "days_unit": window.unit if window else None,
                "url": url_for("public.draft_page", draft_id=draft.id, _external=True),
            }
            for draft, window in found
        ]
    return jsonify({"items": items, "total": len(items)})
