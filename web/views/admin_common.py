"""What the administration pages share: the blueprint, admin-only access, form reading,
transactions that turn write races into 409, and the administration audit trail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import Conflict, audit
from web.auth import current_actor, roles_required
from web.extensions import lifecycle
from workflows import accounts
from workflows.organisations import CHAIR_DECISION_CONSULTED_KINDS, COMMUNE_KINDS, PROVINCE_KINDS

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = roles_required("admin")

CODE = re.compile(r"^[A-Z0-9_]{1,40}$")
KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
STEP = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_PASSWORD = 200
KNOWN_KINDS = frozenset(
    {"province", "commune", "department", *PROVINCE_KINDS.values(), *COMMUNE_KINDS.values()}
    | set(CHAIR_DECISION_CONSULTED_KINDS)
)


class FormError(Exception):
    """Input the administrator must correct (status 422, shown on the page)."""


@contextmanager
def write_session() -> Iterator[Session]:
    try:
        with lifecycle().db.write() as session:
            yield session
    except IntegrityError as exc:
        message = _("Someone else changed this at the same time; reload and try again.")
        raise Conflict(message) from exc


def record(session: Session, area: str, action: str, **data: Any) -> None:
    audit.append_stream_event(
        session, f"admin:{area}", actor=current_actor().id, action=action, data=data
    )


def paged(session: Session, query: Any, page: int) -> tuple[list[Any], int, int]:
    size = int(current_app.config.get("PAGE_SIZE", 25))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = list(session.execute(query.limit(size).offset((page - 1) * size)).scalars())
    return rows, int(total), max(1, -(-int(total) // size))


def form_text(name: str, label: str, limit: int, *, required: bool = True) -> str:
    value = request.form.get(name, "").strip()
    if required and not value:
        raise FormError(_("%(field)s is required.", field=label))
    if len(value) > limit:
        raise FormError(_("%(field)s is at most %(n)s characters.", field=label, n=limit))
    return value


def form_date(name: str, label: str) -> date:
    value = request.form.get(name, "").strip()
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise FormError(_("%(field)s is a date such as 2026-09-02.", field=label)) from exc
    if not 2000 <= day.year <= 2100:
        raise FormError(_("%(field)s is between the years 2000 and 2100.", field=label))
    return day


def checked_password(value: str) -> str:
    # Sign-in reads at most 1000 characters; a longer password could never be typed in.
    if not accounts.MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise FormError(
            _(
                "The password needs at least %(n)s and at most %(m)s characters.",
                n=accounts.MIN_PASSWORD,
                m=MAX_PASSWORD,
            )
        )
    return value
