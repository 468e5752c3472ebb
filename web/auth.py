"""Sign-in, sign-out, profile and API tokens; who the current user is on every request.

Pages use the signed session cookie (set at sign-in, CSRF-protected forms); scripts use
``Authorization: Bearer <token>``. Either way ``g.user`` (the row) and ``g.actor`` (the
engine's view: username + role grants) are set before a view runs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from engine import Actor, InvalidData
from web.extensions import lifecycle
from web.i18n import localize
from web.throttle import sign_in_throttled
from workflows import accounts
from workflows.directory import User, actor_of

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


def load_current_user() -> None:
    """``before_request``: resolve the session or bearer token to a user (or nobody)."""
    g.user, g.actor = None, None
    header = request.headers.get("Authorization", "")
    token_use: accounts.TokenUse | None = None
    with lifecycle().db.read() as db_session:
        user: User | None = None
        if header.startswith("Bearer "):
            token_use = accounts.user_for_token(db_session, header[7:].strip())
            user = token_use.user if token_use else None
            g.token_auth = user is not None
        elif session.get("user_id"):
            user = db_session.get(User, session["user_id"])
            if user is not None and (not user.active or session.get("epoch") != user.auth_epoch):
                session.clear()  # signed out, password changed or disabled since: dead cookie
                user = None
        if user is not None:
            g.user, g.actor = user, actor_of(db_session, user)
    if token_use is not None and token_use.stale:
        with lifecycle().db.write() as db_session:
            accounts.record_token_use(db_session, token_use.token_id)


def current_actor() -> Actor:
    if g.get("actor") is None:
        abort(401)
    return g.actor  # type: ignore[no-any-return]


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            if request.blueprint and request.blueprint.startswith("api"):
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def holds_any(actor: Actor, *roles: str) -> bool:
    return actor.is_admin or any(grant.role in roles for grant in actor.grants)


def roles_required(*roles: str) -> Callable[[F], F]:
    """Only users holding one of ``roles`` (in any organisation), or administrators."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not holds_any(current_actor(), *roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("inbox.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("inbox.index")
    return target


def _referrer_path() -> str | None:
    """The path of the referring page when it is on this site."""
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.route("/login", methods=["GET", "POST"])
@sign_in_throttled
def login() -> Any:
    if g.get("user") is not None:
        return redirect(_safe_next(request.args.get("next")))
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")[:100]
        password = request.form.get("password", "")[:1000]
        with lifecycle().db.write() as db_session:
            result = accounts.check_login(db_session, username, password)
            if result.user is not None:
                session.clear()
                session["user_id"] = result.user.id
                session["epoch"] = result.user.auth_epoch
                session["lang"] = result.user.language
                session.permanent = True
                return redirect(_safe_next(request.args.get("next")))
        # One answer for unknown, disabled and wrong: nothing tells which accounts exist.
        error = _("Wrong username or password.")
        return render_template("login.html", error=error, username=username), 401
    return render_template("login.html", error=error, username="")


@bp.post("/logout")
def logout() -> Any:
    """Sign out: the user's epoch moves on, so this cookie - and any copy of it - is dead."""
    if g.get("user") is not None and not g.get("token_auth"):
        with lifecycle().db.write() as db_session:
            user = db_session.get(User, g.user.id)
            if user is not None:
                accounts.end_sessions(user)
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language/<code>")
def set_language(code: str) -> Any:
    if code not in ("vi", "en"):
        abort(400)
    session["lang"] = code
    if g.get("user") is not None:
        with lifecycle().db.write() as db_session:
            user = db_session.get(User, g.user.id)
            if user is not None:
                user.language = code
    return redirect(_safe_next(request.form.get("next") or _referrer_path()))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Any:
    new_token = None
    if request.method == "POST":
        action = request.form.get("action")
        with lifecycle().db.write() as db_session:
            user = db_session.get(User, g.user.id)
            assert user is not None  # noqa: S101 - signed in
            if action == "password":
                result = accounts.check_login(
                    db_session, user.username, request.form.get("current", "")
                )
                if result.user is None:
                    flash(_("The current password is wrong."), "error")
                elif request.form.get("new") != request.form.get("confirm"):
                    flash(_("The new passwords do not match."), "error")
                else:
                    try:
                        accounts.set_password(
                            db_session, user, request.form.get("new", ""), by=user.username
                        )
                    except InvalidData as exc:
                        flash(localize(exc.message), "error")
                    else:
                        session["epoch"] = user.auth_epoch  # this session lives on
                        flash(
                            _(
                                "Password changed. Your other sessions and all your API "
                                "tokens have ended."
                            ),
                            "info",
                        )
            elif action == "token":
                new_token = accounts.issue_token(
                    db_session, user, request.form.get("name", "script")
                )
            else:
                abort(400)
    grants = sorted(
        current_actor().grants, key=lambda grant: (grant.role, grant.organisation or "")
    )
    with lifecycle().db.read() as db_session:
        tokens = accounts.tokens_of(db_session, g.user)
    return render_template("profile.html", grants=grants, new_token=new_token, tokens=tokens)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    """Revoke one of the signed-in user's tokens (another user's token is 404)."""
    with lifecycle().db.write() as db_session:
        user = db_session.get(User, g.user.id)
        assert user is not None  # noqa: S101 - signed in
        row = accounts.revoke_token(db_session, user, token_id)
        flash(_("The token '%(name)s' is revoked; it no longer works.", name=row.name), "info")
    return redirect(url_for("auth.profile"))
