"""``/tokens``: the caller's own API tokens, and revoking one.

Only the caller's tokens are ever listed or revoked; another user's token id answers 404,
as if it did not exist. Creating a token stays on the profile page, where its secret is
shown once to a person.
"""

from __future__ import annotations

from flask import Response, g, jsonify
from sqlalchemy.orm import Session

from engine import Message, NotFound
from web.api import serializers
from web.api.common import api_blueprint
from web.extensions import lifecycle
from workflows import accounts
from workflows.directory import User

bp = api_blueprint("tokens", __name__)


def _caller(session: Session) -> User:
    user = session.get(User, g.user.id)
    if user is None:  # deleted since the request signed in
        raise NotFound(Message("no such user"))
    return user


@bp.get("/tokens")
def index() -> Response:
    with lifecycle().db.read() as session:
        rows = accounts.tokens_of(session, _caller(session))
        return jsonify([serializers.api_token(row) for row in rows])


@bp.delete("/tokens/<int:token_id>")
def revoke(token_id: int) -> Response:
    with lifecycle().db.write() as session:
        row = accounts.revoke_token(session, _caller(session), token_id)
        return jsonify(serializers.api_token(row))
