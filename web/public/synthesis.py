"""The synthesis table of the dossier, read on a page (bản tổng hợp, tiếp thu, giải trình).

The synthesis step attaches the table to the dossier as a DOCX; whoever may see the draft
(the appraiser at the Department of Justice above all) reads its rows here, each comment with
the drafter's answer, as the dossier holds them, without downloading the file. A version that
is no DOCX, or a DOCX without the table (written by hand), is shown as a download only.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from sqlalchemy import select

from web.access import can_view_draft
from web.auth import current_actor, login_required
from web.extensions import lifecycle
from web.public import staff_bp
from workflows import dossier
from workflows.consultation import synthesis_table
from workflows.drafts import Draft


@staff_bp.get("/drafts/<int:draft_id>/synthesis")
@login_required
def table(draft_id: int) -> Any:
    """The latest synthesis table of the dossier, or the version ``?version=`` names."""
    wanted = request.args.get("version", type=int)
    with lifecycle().db.read() as session:
        draft = session.get(Draft, draft_id)
        if draft is None or not can_view_draft(session, current_actor(), draft):
            abort(404)
        query = select(dossier.DocumentVersion).where(
            dossier.DocumentVersion.draft_id == draft.id,
            dossier.DocumentVersion.item_code == synthesis_table.ITEM,
        )
        if wanted is not None:
            query = query.where(dossier.DocumentVersion.id == wanted)
        version = session.execute(
            query.order_by(dossier.DocumentVersion.version.desc()).limit(1)
        ).scalar_one_or_none()
        if wanted is not None and version is None:
            abort(404)
        rows = None
        if version is not None:
            try:
                rows = synthesis_table.read_rows(dossier.read_file(version))
            except FileNotFoundError:
                rows = None
        session.expunge_all()
    return render_template("public/synthesis.html", draft=draft, version=version, rows=rows)
