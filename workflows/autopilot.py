"""Drives drafts through their processes as the right civil servants would.

Used to build the demo province (drafts in every stage) and by end-to-end tests. It goes
through the same doors people use: it picks a user who holds the step's role in the step's
organisation (and is not barred by four-eyes), uploads the dossier items the step requires,
fills the step's form from its JSON Schema with plausible answers, and completes it through
the engine, so every rule (forms, dossier, deadlines, authorization) is exercised.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from engine import Actor, TaskQuery, clock
from engine.specs import UserTaskInfo
from engine.task_queries import TaskInfo
from workflows.calendar import vietnam_date
from workflows.consultation.comments import comments_of, moderate
from workflows.consultation.ledger import ANSWERED_AT, answer_entry, entries
from workflows.directory import RoleAssignment, User, actor_of
from workflows.dossier import add_version, item_name, present_items
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle

#: Preferred answers for choice fields, most "moving forward" first.
FORWARD = (
    "approve",
    "accept",
    "pass",
    "passed",
    "adopt",
    "adopted",
    "ready",
    "meeting",
    "clear",
    "none",
    "self_inspection",
    "redraft",
)
NUMBERS = {
    "comments_received": 3, "comments_accepted": 2, "comments_explained": 1,
    "ubnd_members_total": 9, "ubnd_votes_for": 7, "ubnd_votes_against": 1,
    "deputies_total": 50, "deputies_for": 44, "deputies_against": 3,
}  # fmt: skip
BOOLEANS = {"agrees": True, "mttq_agrees": True, "needs_mttq_criticism": True,
            "urgent_effect": False}  # fmt: skip

Decide = Callable[[TaskInfo, UserTaskInfo | None, Mapping[str, Any]], dict[str, Any] | None]


def sample_pdf(title: str) -> bytes:
    """A small, valid one-page PDF (the dossier accepts only real PDF/DOCX/ODT files)."""
    text = title.encode("ascii", "replace").decode().replace("(", "[").replace(")", "]")
    stream = f"BT /F1 12 Tf 72 720 Td ({text[:80]}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


@dataclass
class Autopilot:
    """``now``/``pace``: simulate time (each step happens ``pace`` after the previous one)."""

    lifecycle: Lifecycle
    decide: Decide | None = None
    now: datetime | None = None
    pace: timedelta = timedelta(0)
    steps: list[tuple[str, str, str]] = field(default_factory=list)  # (draft, element, user)

    def _moment(self) -> datetime:
        return self.now if self.now is not None else clock.now()

    def _advance(self, to: datetime | None = None) -> None:
        if self.now is None:
            return
        self.now = max(self.now + self.pace, to) if to is not None else self.now + self.pace

    # Choosing people ---------------------------------------------------------------------
    def candidates(self, task: TaskInfo) -> list[Actor]:
        with self.lifecycle.db.read() as session:
            query = (
                select(User)
                .join(RoleAssignment, RoleAssignment.user_id == User.id)
                .where(User.active, RoleAssignment.role == task.role)
                .order_by(User.username)
            )
            if task.organisation:
                query = query.where(RoleAssignment.organisation_code == task.organisation)
            return [actor_of(session, user) for user in session.execute(query).scalars().unique()]

    def worker(self, task: TaskInfo) -> Actor:
        engine = self.lifecycle.engine
        if task.assignee:
            return engine.actor(task.assignee)
        for actor in self.candidates(task):
            if engine.refusal(task.id, actor, "complete") is None:
                return actor
        raise LookupError(f"nobody may do '{task.title}' ({task.role} in {task.organisation})")

    # Answering -------------------------------------------------------------------------------
    def answers(
        self, task: TaskInfo, info: UserTaskInfo | None, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        override = self.decide(task, info, data) if self.decide else None
        if override is not None:
            return override
        schema = (info.form_schema if info else None) or {}
        today = vietnam_date(clock.now())
        values: dict[str, Any] = {}
        for name, prop in (schema.get("properties") or {}).items():
            required = name in (schema.get("required") or [])
            value = self._value(name, prop, today, data)
            if value is not None and (
                required
                or name in NUMBERS
                or name in BOOLEANS
                or name in ("decision", "examining_committee")
            ):
                values[name] = value
        return values

    def _value(
        self, name: str, prop: Mapping[str, Any], today: date, data: Mapping[str, Any]
    ) -> Any:
        kind = prop.get("type")
        choices = list(prop.get("enum") or [o.get("const") for o in prop.get("oneOf") or []])
        if name == "examining_committee":
            committees = data.get("hdnd_committees") or []
            return committees[0] if committees else None
        if name in NUMBERS:
            return NUMBERS[name]
        if name in BOOLEANS:
            return BOOLEANS[name]
        if choices:
            for preferred in FORWARD:
                if preferred in choices:
                    return preferred
            return choices[0]
        if kind == "boolean":
            return True
        if kind in ("integer", "number"):
            return prop.get("minimum", 1)
        if prop.get("format") == "date":
            if name == "effective_on":
                simplified = data.get("procedure") == "simplified"
                return (today + timedelta(days=0 if simplified else 15)).isoformat()
            return today.isoformat()
        if prop.get("format") == "uri":
            return "https://tragiang.example.gov.vn/du-thao"
        if kind == "string":
            text = "Nội dung do hệ thống điền minh họa."
            minimum = int(prop.get("minLength") or 0)
            return text if len(text) >= minimum else text + "." * (minimum - len(text))
        return None

    # Acting -----------------------------------------------------------------------------------
    def upload_required(
        self, draft: Draft, info: UserTaskInfo | None, actor: Actor, task_id: str
    ) -> None:
        required = [
            c.strip()
            for c in (info.properties.get("requiredDocuments", "") if info else "").split(",")
            if c.strip()
        ]
        if not required:
            return
        with self.lifecycle.db.write() as session:
            present = present_items(session, draft.id)
            for code in required:
                if code in present:
                    continue
                title = f"{draft.code} - {item_name(code, 'en')}"
                add_version(
                    session,
                    draft.id,
                    code,
                    f"{code}.pdf",
                    sample_pdf(title),
                    actor.id,
                    task_id=task_id,
                )

    def answer_ledger(self, draft: Draft, actor: Actor) -> None:
        """Publish pending public comments and explain every unanswered ledger entry, as a
        drafter would before completing the synthesis or the report on the appraisal or
        examination findings (which refuse unanswered entries)."""
        engine = self.lifecycle.engine
        with self.lifecycle.db.write() as session:
            fresh = session.get(Draft, draft.id)
            for comment in comments_of(session, draft.id, statuses=("pending",)):
                moderate(session, comment, "publish", actor.id, None)
            for entry in entries(session, engine, fresh):
                if entry.answer is None:
                    answer_entry(
                        session, engine, fresh, entry.key, "explained", None,
                        "Đã giải trình trong bản tổng hợp", actor.id,
                    )  # fmt: skip

    def act(self, draft: Draft, task: TaskInfo) -> TaskInfo:
        engine = self.lifecycle.engine
        with clock.frozen_at(self._moment()):
            actor = self.worker(task)
            info = engine.user_task_info(task.id)
            data = engine.task_data(task.id)
            self.upload_required(draft, info, actor, task.id)
            if task.element_id in ANSWERED_AT:
                self.answer_ledger(draft, actor)
            if task.state == "open":
                engine.claim(task.id, actor)
            done = engine.complete(task.id, actor, self.answers(task, info, data))
        self.steps.append((draft.code, task.element_id, actor.id))
        self._advance()
        return done

    def open_tasks(self, draft: Draft) -> list[TaskInfo]:
        return self.lifecycle.engine.tasks(
            TaskQuery(instance_id=draft.instance_id, states=("open", "claimed"), limit=100)
        )

    def reload(self, draft: Draft) -> Draft:
        with self.lifecycle.db.read() as session:
            fresh = session.get(Draft, draft.id)
            assert fresh is not None  # noqa: S101 - drafts are never deleted
            return fresh

    def run(
        self,
        draft: Draft,
        until: Callable[[Draft, list[TaskInfo]], bool] | None = None,
        *,
        max_steps: int = 150,
    ) -> Draft:
        """Work the draft's open steps one at a time until ``until`` says stop or it ends."""
        for _ in range(max_steps):
            draft = self.reload(draft)
            tasks = self.open_tasks(draft)
            if until is not None and until(draft, tasks):
                return draft
            if draft.status != "active":
                return draft
            if not tasks:
                instance = self.lifecycle.engine.instance(draft.instance_id)
                if instance.status != "running" or instance.next_timer_at is None:
                    return draft
                # Waiting on a timer (posting period, effective date): let time pass.
                moment = max(instance.next_timer_at, self._moment()) + timedelta(minutes=1)
                self.lifecycle.engine.fire_due_timers(moment)
                if self.now is not None:
                    self.now = moment
                continue
            self.act(draft, tasks[0])
        raise RuntimeError(f"{draft.code} did not finish within {max_steps} steps")


def at_stage(stage: str) -> Callable[[Draft, list[TaskInfo]], bool]:
    """Stop as soon as the draft reaches ``stage``."""
    return lambda draft, _tasks: draft.stage == stage


def at_step(element_suffix: str) -> Callable[[Draft, list[TaskInfo]], bool]:
    """Stop when a step whose id ends with ``element_suffix`` is open."""
    return lambda _draft, tasks: any(t.element_id.endswith(element_suffix) for t in tasks)
