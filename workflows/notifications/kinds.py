"""The kinds of notification and their words, put together in the reader's language.

A notification stores facts (:attr:`Notification.params`), never a sentence: the step's
name in Vietnamese and English, the draft's code and title, a due date, who did what. This
module turns them into a subject, a plain-text body and an HTML body in one language, with
the English sentences below as message templates (``Message`` is what the catalogue
extraction collects) and a ``translate`` function the caller supplies: the web layer's
catalogue (a page in the reader's locale, an e-mail in the recipient's language). Without
one the English text is used.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine import Message

Translate = Callable[[str], str]

TASK_NEW = "task_new"
TASK_RETURNED = "task_returned"
TASK_ASSIGNED = "task_assigned"
REWORK = "rework"
REMINDER = "reminder"
ESCALATION = "escalation"
PLAN_INFEASIBLE = "plan_infeasible"
DIGEST_KIND = "digest"

#: Every kind, in the order the profile page lists them.
KINDS = (
    TASK_NEW,
    TASK_RETURNED,
    TASK_ASSIGNED,
    REWORK,
    REMINDER,
    ESCALATION,
    PLAN_INFEASIBLE,
    DIGEST_KIND,
)
#: The kinds a person chooses a delivery for (a digest is always sent as it is).
CHOOSABLE_KINDS = KINDS[:-1]

#: What each kind is, as the profile page names it.
KIND_NAMES: dict[str, str] = {
    TASK_NEW: Message("A new task for me or my group"),
    TASK_RETURNED: Message("A task released back to my group"),
    TASK_ASSIGNED: Message("A task assigned or delegated to me"),
    REWORK: Message("A draft returned to me for rework"),
    REMINDER: Message("A reminder before a task is due"),
    ESCALATION: Message("An overdue step escalated to me"),
    PLAN_INFEASIBLE: Message("A draft that can no longer reach its target session in time"),
    DIGEST_KIND: Message("The daily summary"),
}

_SUBJECTS: dict[str, str] = {
    TASK_NEW: Message("New task: %(step)s (%(draft)s)"),
    TASK_RETURNED: Message("Task released to your group: %(step)s (%(draft)s)"),
    TASK_ASSIGNED: Message("Assigned to you: %(step)s (%(draft)s)"),
    REWORK: Message("Returned for rework: %(step)s (%(draft)s)"),
    REMINDER: Message("Reminder: %(step)s (%(draft)s) is due on %(due)s"),
    ESCALATION: Message("Overdue: %(step)s (%(draft)s)"),
    PLAN_INFEASIBLE: Message("Behind the plan for the session of %(due)s: %(draft)s"),
    DIGEST_KIND: Message("Your Lexflow summary of %(day)s: %(count)s notifications"),
}

_BODIES: dict[str, str] = {
    TASK_NEW: Message(
        "The step “%(step)s” of %(about)s is waiting for you or your group in the inbox."
    ),
    TASK_RETURNED: Message(
        "%(by)s released the step “%(step)s” of %(about)s: it is offered to your group again."
    ),
    TASK_ASSIGNED: Message("%(by)s assigned you the step “%(step)s” of %(about)s."),
    REWORK: Message(
        "%(about)s came back to you for rework: the step “%(step)s” is open again in your list."
    ),
    REMINDER: Message("The step “%(step)s” of %(about)s is due on %(due)s."),
    ESCALATION: Message("The step “%(step)s” of %(about)s is past its statutory time limit."),
    PLAN_INFEASIBLE: Message(
        "Counting back from the target session on %(due)s with the statutory time limits, the "
        "step “%(step)s” of %(about)s had to start by %(start)s: the plan is %(behind)s "
        "working days behind and can no longer be kept without shortening a statutory period."
    ),
    DIGEST_KIND: Message("What Lexflow told you on %(day)s:"),
}

#: A reminder on the due day, and an escalation because a task's own due date passed (the
#: reminder policies), read differently from the generic ones above.
_DUE_TODAY_SUBJECT = Message("Due today: %(step)s (%(draft)s)")
_DUE_TODAY_BODY = Message("Today, %(due)s, is the due date of the step “%(step)s” of %(about)s.")
_LATE_BODY = Message(
    "The step “%(step)s” of %(about)s was due on %(due)s and is still open (%(holder)s)."
)
_NOBODY = Message("nobody has claimed it")

_ABOUT_DRAFT = Message("the draft %(code)s “%(title)s”")
_DUE_LINE = Message("Due date: %(due)s")
_LATE_LINE = Message("Steps still open:")
_LINK_LINE = Message("Open it in Lexflow: %(url)s")
_NO_DATE = "—"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _identity(template: str) -> str:
    return template


def _date(value: Any) -> str:
    """DD/MM/YYYY, whatever the language (as every page shows dates)."""
    if not value:
        return _NO_DATE
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def in_language(names: Any, language: str) -> str:
    """``{"vi": ..., "en": ...}`` in ``language`` (Vietnamese when there is no English)."""
    if isinstance(names, Mapping):
        return str(names.get(language) or names.get("vi") or names.get("en") or "")
    return str(names or "")


def _values(params: Mapping[str, Any], language: str, translate: Translate) -> dict[str, Any]:
    code = str(params.get("draft_code") or "")
    title = str(params.get("draft_title") or "")
    about = translate(_ABOUT_DRAFT.template) % {"code": code, "title": title} if title else code
    return {
        "step": in_language(params.get("step"), language),
        "draft": code,
        "about": about,
        "due": _date(params.get("due")),
        "by": str(params.get("by") or ""),
        "day": _date(params.get("day")),
        "count": len(params.get("items") or ()),
        "holder": str(params.get("holder") or translate(_NOBODY.template)),
        "start": _date(params.get("latest_start")),
        "behind": str(params.get("behind") or ""),
    }


def render(
    kind: str,
    params: Mapping[str, Any],
    language: str,
    translate: Translate | None = None,
    *,
    link: str | None = None,
) -> Rendered:
    """The notification's subject and bodies in ``language``; ``link`` an absolute URL."""
    tr = translate or _identity
    if "legacy_subject" in params:  # a row written before kinds had words (migration w0004)
        text = str(params.get("legacy_body") or "")
        return Rendered(str(params["legacy_subject"]), text, f"<p>{html.escape(text)}</p>")
    values = _values(params, language, tr)
    subject = tr(_SUBJECTS.get(kind, _SUBJECTS[TASK_NEW]).template) % values
    lead = tr(_BODIES.get(kind, _BODIES[TASK_NEW]).template) % values
    if kind == REMINDER and params.get("when") == "due":
        subject = tr(_DUE_TODAY_SUBJECT.template) % values
        lead = tr(_DUE_TODAY_BODY.template) % values
    elif kind == ESCALATION and params.get("when") == "late":
        lead = tr(_LATE_BODY.template) % values
    lines: list[str] = []  # further lines of text
    listed: list[str] = []  # a list under the lead (late steps, a digest's items)
    if kind in (TASK_NEW, TASK_ASSIGNED, REWORK, TASK_RETURNED) and params.get("due"):
        lines.append(tr(_DUE_LINE.template) % values)
    if kind == ESCALATION and params.get("late_steps"):
        lines.append(tr(_LATE_LINE.template))
        listed = [in_language(step, language) for step in params["late_steps"]]
    if kind == DIGEST_KIND:
        listed = [
            render(str(item.get("kind")), item.get("params") or {}, language, translate).subject
            for item in params.get("items") or ()
        ]
    link_line = tr(_LINK_LINE.template) % {"url": link} if link else None
    text_parts = [lead, *lines, *(f"- {item}" for item in listed)]
    if link_line:
        text_parts += ["", link_line]
    html_parts = [f"<p>{html.escape(lead)}</p>"]
    html_parts += [f"<p>{html.escape(line)}</p>" for line in lines]
    if listed:
        html_parts.append(
            "<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in listed) + "</ul>"
        )
    if link:
        anchor = f'<a href="{html.escape(link, quote=True)}">{html.escape(link)}</a>'
        before, _, after = tr(_LINK_LINE.template).partition("%(url)s")
        html_parts.append(f"<p>{html.escape(before)}{anchor}{html.escape(after)}</p>")
    return Rendered(subject, "\n".join(text_parts), "\n".join(html_parts))
