"""What the modeler's properties panel chooses from, in the request's language.

Roles a lane may stand for (the engine refuses any other), the operations registered for
service tasks, the steps of the deadline rule table (``deadline("<step>")``) and the form
schemas deployed. One JSON document, fetched by the page when it opens.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from sqlalchemy import select

from web.extensions import lifecycle
from workflows import deadlines
from workflows.dossier import DOSSIER_ITEMS, item_name
from workflows.roles import lane_roles, roles_by_code


def _language() -> str:
    return "en" if str(get_locale() or "vi") == "en" else "vi"


def roles(language: str) -> list[dict[str, str]]:
    """The roles a lane may name, from the role table (administrators add roles there)."""
    with lifecycle().db.read() as session:
        codes, known = lane_roles(session), roles_by_code(session)
    found = []
    for code in sorted(codes):
        role = known[code]
        found.append({"code": code, "name": role.name_en if language == "en" else role.name_vi})
    return sorted(found, key=lambda r: r["name"])


def deadline_steps(language: str) -> list[dict[str, str]]:
    with lifecycle().db.read() as session:
        ruled = set(session.execute(select(deadlines.DeadlineRule.step).distinct()).scalars())
    steps = sorted(ruled | set(deadlines.STEP_NAMES))
    return [{"step": step, "name": deadlines.step_name(step, language)} for step in steps]


def forms() -> list[dict[str, str | None]]:
    deployed = lifecycle().engine.definitions(latest_only=True)
    return [{"key": d.key, "title": d.name} for d in deployed if d.kind == "json"]


def catalog() -> dict[str, Any]:
    language = _language()
    return {
        "roles": roles(language),
        "services": [{"name": name} for name in lifecycle().engine.services.names()],
        "deadlines": deadline_steps(language),
        "forms": forms(),
        "dossier_items": [
            {"code": code, "name": item_name(code, language)} for code in DOSSIER_ITEMS
        ],
    }
