"""``/drafts/{id}/ledger``: the comment ledger of a draft, for whoever may see the draft.

The same entries, with the same filters, as the ledger on the draft's consultation page
(:mod:`workflows.consultation.ledger`): source, author, organisation, article, the draft
version it was made on, and the answer. Commenters' e-mail addresses are never listed.
"""

from __future__ import annotations

from flask import Response, jsonify

from web import params
from web.api.common import api_blueprint
from web.api.serializers import iso
from web.api.visibility import draft_or_404
from web.auth import current_actor
from web.extensions import lifecycle
from workflows.consultation import ledger

bp = api_blueprint("consultation", __name__)


def entry(item: ledger.Entry) -> dict[str, object]:
    answer = item.answer
    return {
        "key": item.key,
        "source": item.source,
        "author": item.author,
        "organisation": item.organisation,
        "article": item.article,
        "text": item.text,
        "agrees": item.agrees,
        "pending_moderation": item.pending,
        "version": item.version,
        "carried_over": item.carried_over,
        "answer": None
        if answer is None
        else {
            "answer": answer.answer,
            "article": answer.article,
            "note": answer.note,
            "answered_by": answer.answered_by,
            "answered_at": iso(answer.answered_at),
        },
    }


@bp.get("/drafts/<int:draft_id>/ledger")
def show(draft_id: int) -> Response:
    source = params.choice("source", ledger.SOURCES)
    article = params.text("article", 20)
    life = lifecycle()
    with life.db.read() as session:
        draft = draft_or_404(session, current_actor(), draft_id)
        items = ledger.entries(session, life.engine, draft)
        shown = [
            e
            for e in items
            if (source is None or e.source == source)
            and (article is None or (e.article or "whole") == article)
        ]
        current = items[0].current_version if items else None
        body = {
            "draft_id": draft.id,
            "current_version": current,
            "counts": ledger.counts(items),
            "entries": [entry(e) for e in shown],
        }
    return jsonify(body)
