"""The citizens' pages: drafts open for comment, one page per draft, the comment form, QR."""

from __future__ import annotations

import io
from typing import Any

import segno
from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import InvalidData, audit
from web.extensions import csrf, lifecycle
from web.i18n import localize
from web.public import LIMITER_KEY, bp
from workflows import dossier, registry
from workflows.consultation import comments as public_comments
from workflows.consultation.compare import compare_versions
from workflows.consultation.text import draft_versions, read_version, text_of_draft
from workflows.consultation.window import Window, comment_window, drafts_in_consultation
from workflows.drafts import Draft

#: Dossier items the public may download (the draft, its submission, the impact report).
PUBLIC_ITEMS = ("du_thao", "to_trinh", "bao_cao_danh_gia_tac_dong")
FORM_TOKEN_MAX_AGE = 4 * 3600
HONEYPOT = "website"
MAX_FORM_BYTES = 20_000


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="public-comment")


def form_token(draft_id: int) -> str:
    """A signed, time-limited token bound to the draft: the public form's CSRF token (no
    session is opened for a visitor, so the session-bound token cannot be used)."""
    return _serializer().dumps({"draft": draft_id})


def _token_ok(token: str, draft_id: int) -> bool:
    try:
        payload = _serializer().loads(token, max_age=FORM_TOKEN_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return False
    return isinstance(payload, dict) and payload.get("draft") == draft_id


def _consulting(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None or draft.stage != "consultation" or draft.status != "active":
        abort(404)
    return draft


def _window(session: Session, draft: Draft) -> Window | None:
    life = lifecycle()
    return comment_window(session, life.engine, life.calendar(), draft)


def public_url(draft_id: int) -> str:
    return url_for("public.draft_page", draft_id=draft_id, _external=True)


#: The dossier item that holds an adopted regulation's signed text.
SIGNED_ITEM = "van_ban_ky"
MAX_ADOPTED = 100


def _signed_documents(session: Session, rows: list[registry.Regulation]) -> dict[int, int]:
    """Regulation id -> the id of the latest signed text in its draft's dossier."""
    drafts = {r.draft_id: r.id for r in rows if r.draft_id is not None}
    if not drafts:
        return {}
    found: dict[int, int] = {}
    for version in session.execute(
        select(dossier.DocumentVersion)
        .where(
            dossier.DocumentVersion.draft_id.in_(drafts),
            dossier.DocumentVersion.item_code == SIGNED_ITEM,
        )
        .order_by(dossier.DocumentVersion.version)
    ).scalars():
        found[drafts[version.draft_id]] = version.id
    return found


def _adopted(query: str) -> Any:
    """The adopted regulations (the registry), newest first, read-only."""
    with lifecycle().db.read() as session:
        rows, total = registry.list_regulations(
            session, registry.RegulationFilter(text=query or None, limit=MAX_ADOPTED)
        )
        documents = _signed_documents(session, rows)
        session.expunge_all()
    return render_template(
        "public/index.html", show="adopted", regulations=rows, total=total,
        documents=documents, drafts=[], q=query,
    )  # fmt: skip


@bp.get("/drafts")
def index() -> Any:
    query = (request.args.get("q") or "").strip()[:200]
    if request.args.get("show") == "adopted":
        return _adopted(query)
    life = lifecycle()
    with life.db.read() as session:
        found = drafts_in_consultation(session, life.engine, life.calendar(), query)
        session.expunge_all()
    return render_template("public/index.html", show="open", drafts=found, q=query)


def _page(draft_id: int, *, status: int = 200, errors: list[str] | None = None,
          values: dict[str, str] | None = None, sent: bool = False) -> Any:  # fmt: skip
    with lifecycle().db.write() as session:  # reading the text once stores it
        draft = _consulting(session, draft_id)
        window = _window(session, draft)
        version, text = text_of_draft(session, draft.id)
        documents = [v for v in dossier.versions(session, draft.id) if v.item_code in PUBLIC_ITEMS]
        latest: dict[str, dossier.DocumentVersion] = {}
        for v in documents:
            latest.setdefault(v.item_code, v)
        published = public_comments.comments_of(session, draft.id, statuses=("published",))
        articles = text.articles if text is not None else []
        # A newer version replaced one people may have read: what changed since (only
        # between versions with a text by article; a PDF cannot be compared).
        earlier = [
            v.version
            for v in draft_versions(session, draft.id)[:-1]
            if text is not None and text.articles_json and read_version(session, v).articles_json
        ]
        since = request.args.get("since", type=int)
        since = since if since in earlier else (earlier[-1] if earlier else None)
        comparison = compare_versions(session, draft.id, since) if since else None
        session.expunge_all()
    return (
        render_template(
            "public/draft.html",
            draft=draft,
            window=window,
            version=version,
            text=text,
            articles=articles,
            documents=list(latest.values()),
            comments=published,
            comparison=comparison,
            earlier=earlier,
            token=form_token(draft.id) if window else None,
            errors=errors or [],
            values=values or {},
            sent=sent,
            honeypot=HONEYPOT,
            url=public_url(draft.id),
        ),
        status,
    )


@bp.get("/drafts/<int:draft_id>")
def draft_page(draft_id: int) -> Any:
    return _page(draft_id, sent=request.args.get("sent") == "1")


def _thanked(draft_id: int) -> Any:
    """After a comment: back to the page by GET (303), so that reloading the confirmation
    does not send the comment again; the page says thanks (no cookie carries it)."""
    language = request.args.get("lang")
    target = url_for(
        "public.draft_page",
        draft_id=draft_id,
        sent=1,
        lang=language if language in ("vi", "en") else None,
        _anchor="comment",
    )
    return redirect(target, code=303)


@bp.post("/drafts/<int:draft_id>/comments")
@csrf.exempt  # the form carries its own signed token (see form_token)
def comment(draft_id: int) -> Any:
    limiter = current_app.extensions[LIMITER_KEY]
    with limiter.limit(current_app.config["PUBLIC_COMMENT_RATE_LIMIT"], scope="public-comment"):
        return _comment(draft_id)


def _comment(draft_id: int) -> Any:
    if (request.content_length or 0) > MAX_FORM_BYTES:
        abort(413)
    form = request.form
    values = {k: form.get(k, "") for k in ("name", "organisation", "email", "article", "body")}
    if not _token_ok(form.get("token", ""), draft_id):
        expired = _("The form has expired; please send your comment again.")
        return _page(draft_id, status=400, values=values, errors=[expired])
    if form.get(HONEYPOT):
        # A bot filled the hidden field: answer as if accepted, keep nothing.
        return _thanked(draft_id)
    problem: tuple[int, str] | None = None
    with lifecycle().db.write() as session:
        draft = _consulting(session, draft_id)
        if _window(session, draft) is None:
            problem = (409, _("This draft is not open for comments now."))
        else:
            version, text = text_of_draft(session, draft.id)
            numbers = {a.number for a in text.articles} if text is not None else set()
            try:
                row = public_comments.add_public_comment(
                    session,
                    draft.id,
                    version_id=version.id if version else None,
                    articles=numbers,
                    article=values["article"],
                    name=values["name"],
                    organisation=values["organisation"],
                    email=values["email"],
                    body=values["body"],
                )
            except InvalidData as error:  # validated before anything is kept
                problem = (422, localize(error.message))
            else:
                audit.append_stream_event(
                    session, f"consultation:draft:{draft.id}", actor="public",
                    action="public_comment", data={"comment": row.id, "article": row.article},
                )  # fmt: skip
    if problem is not None:
        return _page(draft_id, status=problem[0], values=values, errors=[problem[1]])
    return _thanked(draft_id)


@bp.get("/drafts/<int:draft_id>/documents/<int:version_id>")
def download(draft_id: int, version_id: int) -> Response:
    with lifecycle().db.read() as session:
        _consulting(session, draft_id)
        version = session.get(dossier.DocumentVersion, version_id)
        if version is None or version.draft_id != draft_id or version.item_code not in PUBLIC_ITEMS:
            abort(404)
        return _attachment(version)


def _attachment(version: dossier.DocumentVersion) -> Response:
    """The stored file of ``version`` as a download (404 when the file is gone)."""
    try:
        data = dossier.read_file(version)
    except FileNotFoundError:
        abort(404)
    response = Response(data, mimetype=version.content_type)
    response.headers.set("Content-Disposition", "attachment", filename=version.filename)
    return response


@bp.get("/drafts/<int:draft_id>/qr.<kind>")
def qr(draft_id: int, kind: str) -> Response:
    """The page's address as a QR code, to print on paper copies handed out at meetings."""
    if kind not in ("png", "svg"):
        abort(404)
    with lifecycle().db.read() as session:
        _consulting(session, draft_id)
    code = segno.make(public_url(draft_id), error="m")
    buffer = io.BytesIO()
    if kind == "png":
        code.save(buffer, kind="png", scale=8, border=2)
        return Response(buffer.getvalue(), mimetype="image/png")
    code.save(buffer, kind="svg", scale=8, border=2, xmldecl=False)
    return Response(buffer.getvalue(), mimetype="image/svg+xml")


@bp.get("/regulations/<int:regulation_id>/document")
def regulation_document(regulation_id: int) -> Response:
    """The signed text of an adopted regulation, as kept in its draft's dossier."""
    with lifecycle().db.read() as session:
        regulation = session.get(registry.Regulation, regulation_id)
        if regulation is None:
            abort(404)
        version_id = _signed_documents(session, [regulation]).get(regulation.id)
        version = session.get(dossier.DocumentVersion, version_id) if version_id else None
        if version is None:
            abort(404)
        return _attachment(version)
