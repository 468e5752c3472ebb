"""Helpers templates call: display names for roles, stages, types and organisations, task
titles and step texts in the reader's language, nav."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, pgettext
from flask_babel import gettext as _

from web.extensions import lifecycle
from workflows import deadlines
from workflows.directory import organisation_names
from workflows.dossier import item_name
from workflows.drafts import DOCUMENT_TYPES
from workflows.reports.access import DASHBOARD_ROLES
from workflows.roles import ROLES_BY_CODE, STAGES_BY_CODE, Role, roles_by_code


def wants_rows_only() -> bool:
    """An htmx request that swaps a list's rows in. A history restore (the back button after
    htmx pushed the URL) also carries HX-Request but needs the whole page."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


def _vi() -> bool:
    return str(get_locale() or "vi") == "vi"


def _roles() -> dict[str, Role]:
    """The role table, read once per request (the built-in roles outside one)."""
    if not has_request_context():
        return ROLES_BY_CODE
    cached = g.get("lexflow_roles")
    if cached is None:
        with lifecycle().db.read() as session:
            cached = g.lexflow_roles = dict(roles_by_code(session))
    return cached  # type: ignore[no-any-return]


def role_name(code: str | None) -> str:
    role = _roles().get(code or "")
    if role is None:
        return code or "—"
    return role.name_vi if _vi() else role.name_en


def stage_name(code: str | None) -> str:
    stage = STAGES_BY_CODE.get(code or "")
    if stage is None:
        return code or "—"
    return stage.name_vi if _vi() else stage.name_en


def document_type_name(code: str | None) -> str:
    names = DOCUMENT_TYPES.get(code or "")
    if names is None:
        return code or "—"
    return names[0] if _vi() else names[1]


def draft_status_name(code: str | None) -> str:
    """One label per draft status (workflows.drafts.STATUSES), for lists, filters and pages."""
    labels = {
        "active": _("In progress"),
        "suspended": pgettext("draft", "Suspended"),
        "done": _("Done"),
        "dropped": _("Dropped"),
        "cancelled": pgettext("draft", "Cancelled"),
    }
    return labels.get(code or "", code or "—")


def org_name(code: str | None) -> str:
    if not code:
        return "—"
    names = g.get("_org_names")
    if names is None:
        with lifecycle().db.read() as session:
            names = organisation_names(session, "vi" if _vi() else "en")
        g._org_names = names
    return names.get(code, code)


def task_title(task: Any) -> str:
    """A task's title in the reader's language: ``title_en`` on English pages when the model
    gave one (a human-task row, a :class:`~engine.task_queries.TaskInfo` or a dict)."""
    if isinstance(task, Mapping):
        title, title_en = task.get("title"), task.get("title_en")
    else:
        title, title_en = getattr(task, "title", None), getattr(task, "title_en", None)
    if title_en and not _vi():
        return str(title_en)
    return str(title or "")


def step_name(info: Any, fallback: str | None = None) -> str | None:
    """A user task's step name in the reader's language (its English ``name_en`` property on
    English pages, else the model's name)."""
    if info is None:
        return fallback
    if not _vi() and getattr(info, "name_en", None):
        return str(info.name_en)
    return getattr(info, "name", None) or fallback


def step_documentation(info: Any) -> str | None:
    """A user task's documentation in the reader's language (Vietnamese fallback)."""
    if info is None:
        return None
    if not _vi() and getattr(info, "documentation_en", None):
        return str(info.documentation_en)
    return getattr(info, "documentation", None)


def locale_code() -> str:
    """The language model texts (form labels, step names) are shown in: "vi" or "en"."""
    return "vi" if _vi() else "en"


def dossier_item_name(code: str) -> str:
    return item_name(code, "vi" if _vi() else "en")


def audit_action(action: str) -> str:
    """An audit log action as people say it (the log stores the engine's key)."""
    labels = {
        "start": _("Process started"),
        "claim": _("Claimed"),
        "unclaim": _("Released"),
        "assign": _("Delegated"),
        "complete": _("Step completed"),
        "reroute": _("Re-routed by an administrator"),
        "timer": _("Timer fired"),
        "timer_failed": _("A timer could not be processed"),
        "cancel": pgettext("audit", "Cancelled"),
        "suspend": pgettext("audit", "Suspended"),
        "resume": pgettext("audit", "Resumed"),
        "migrate": _("Moved to another model version"),
    }
    return labels.get(action, action)


def deadline_step_name(step: str) -> str:
    """A rule-table step key (``appraisal``...) in the reader's language."""
    return deadlines.step_name(step, "vi" if str(get_locale() or "vi") == "vi" else "en")


def nav_links() -> list[tuple[str, str]]:
    actor = g.get("actor")
    if actor is None:
        return []
    links = [
        ("drafts.index", _("Drafts")),
        ("regulations.index", _("Regulations")),
        ("plan.index", _("Annual plan")),
    ]
    roles = {grant.role for grant in actor.grants}
    if actor.is_admin or roles & DASHBOARD_ROLES:
        links.append(("dashboards.plan", _("Dashboards")))
    if actor.is_admin or "process_owner" in roles:
        links.append(("models.index", _("Process models")))
    if actor.is_admin:
        links.append(("admin.index", _("Administration")))
    return [
        (endpoint, label) for endpoint, label in links if endpoint in current_app.view_functions
    ]


def priority_label(name: str | None) -> str:
    """A task priority's name in the reader's language (translated once per request: a
    list of tasks shows one per row)."""
    names = g.get("_priority_names") if has_request_context() else None
    if names is None:
        names = {"low": _("Low"), "normal": _("Normal"), "high": _("High"), "urgent": _("Urgent")}
        if has_request_context():
            g._priority_names = names
    return names.get(name or "", name or "")


def reject_keys(mapping: dict[str, str], *keys: str) -> dict[str, str]:
    return {key: value for key, value in mapping.items() if key not in keys}


def init_app(app: Flask) -> None:
    app.jinja_env.filters["reject_keys"] = reject_keys
    from web.views.notifications import unread_count

    app.jinja_env.globals["unread_notifications"] = unread_count
    app.jinja_env.globals.update(
        role_name=role_name,
        stage_name=stage_name,
        document_type_name=document_type_name,
        draft_status_name=draft_status_name,
        org_name=org_name,
        task_title=task_title,
        step_name=step_name,
        deadline_step_name=deadline_step_name,
        step_documentation=step_documentation,
        dossier_item_name=dossier_item_name,
        nav_links=nav_links,
        audit_action=audit_action,
        priority_label=priority_label,
    )
