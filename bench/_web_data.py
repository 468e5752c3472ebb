"""Databases for the web benchmark: the demo province, 100 k bulk instances, completable tasks.

Everything starts from one demo load per backend (``workflows.demo.load_demo``: the real
processes walked by the autopilot, about 40 drafts). The other databases are copies of it
(``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, the SQLite backup API), so the demo is loaded
once per backend however many databases a run needs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from engine import Database, clock
from engine.authorization import SYSTEM
from workflows import accounts
from workflows import demo_province as province
from workflows.calendar import vietnam_date
from workflows.deadlines import rules_snapshot
from workflows.demo import load_demo
from workflows.directory import User
from workflows.lifecycle import MODELS, Lifecycle
from workflows.roles import LANE_ROLES

from . import _inbox
from ._main import Backends
from ._support import build_model

#: Users whose inbox is measured: a drafter (two grants), an appraiser, a department head
#: (sees the "organisation" tab too), a commune office specialist (four grants) and the
#: provincial chair.
INBOX_USERS = ("cv.sxd", "tdv.stp", "gd.sxd", "cv.vp.bs", "ct.ubnd")
#: The consulted departments of the completion model and the specialist answering for each.
COMPLETERS = {
    "STP": "cv.stp",
    "STC": "cv.stc",
    "SNV": "cv.snv",
    "SKHCN": "cv.skhcn",
    "SXD": "cv.sxd",
    "SNNMT": "cv.snnmt",
    "SYT": "cv.syt",
    "SGDDT": "cv.sgddt",
}

# The completion model ----------------------------------------------------------------------------
REPLY_PROCESS = "bench_web_reply"
#: A department answers a consultation (the real form, a due date from the deadline rules),
#: then its head reviews the answer. Completing the reply through the API is what is timed:
#: form validation, the deadline expression, the next task's projection row, the audit chain.
REPLY_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Defs_bench_web" targetNamespace="https://lexflow.test/bench-web">
  <bpmn:process id="bench_web_reply" name="Bench: consultation reply" isExecutable="true">
    <bpmn:laneSet id="LaneSet_bench_web">
      <bpmn:lane id="Lane_agency" name="Consulted agency">
        <bpmn:extensionElements><spiffworkflow:properties>
          <spiffworkflow:property name="role" value="consulted_agency"/>
          <spiffworkflow:property name="organisation" value="agency"/>
        </spiffworkflow:properties></bpmn:extensionElements>
        <bpmn:flowNodeRef>Start_bw</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_bw_reply</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_head" name="Head of the agency">
        <bpmn:extensionElements><spiffworkflow:properties>
          <spiffworkflow:property name="role" value="agency_head"/>
          <spiffworkflow:property name="organisation" value="agency"/>
        </spiffworkflow:properties></bpmn:extensionElements>
        <bpmn:flowNodeRef>Task_bw_review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_bw</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start_bw"/>
    <bpmn:userTask id="Task_bw_reply" name="Góp ý dự thảo">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="stage" value="consultation"/>
        <spiffworkflow:property name="formJsonSchemaFilename" value="consultation_reply.json"/>
        <spiffworkflow:property name="title" value="&quot;Góp ý dự thảo: &quot; + title"/>
        <spiffworkflow:property name="dueDate" value="deadline(&quot;consultation_reply&quot;)"/>
      </spiffworkflow:properties>
      <spiffworkflow:postScript>
reply = {"agency": agency, "agrees": agrees, "opinion": opinion}
      </spiffworkflow:postScript>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="Task_bw_review" name="Duyệt ý kiến góp ý">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="stage" value="consultation"/>
        <spiffworkflow:property name="title" value="&quot;Duyệt góp ý: &quot; + title"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="End_bw"/>
    <bpmn:sequenceFlow id="Flow_bw_1" sourceRef="Start_bw" targetRef="Task_bw_reply"/>
    <bpmn:sequenceFlow id="Flow_bw_2" sourceRef="Task_bw_reply" targetRef="Task_bw_review"/>
    <bpmn:sequenceFlow id="Flow_bw_3" sourceRef="Task_bw_review" targetRef="End_bw"/>
  </bpmn:process>
</bpmn:definitions>
"""
#: The body every completion sends (the real consultation_reply.json form accepts it).
REPLY_BODY = {"data": {"agrees": True, "opinion": "Cơ quan thống nhất với nội dung dự thảo."}}


# Databases ---------------------------------------------------------------------------------------
def sqlite_path(backends: Backends, name: str) -> Path:
    return backends.workdir / f"{name}.sqlite3"


def url_of(backends: Backends, backend: str, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{sqlite_path(backends, name)}"
    url = make_url(backends.server.url).set(database=f"lexflow_bench_{name}")
    return url.render_as_string(hide_password=False)


def load_demo_into(url: str, now_iso: str) -> float:
    """Load the demo province into the (migrated, empty) database at ``url``; seconds taken.

    Module-level so that a separate process can run it (both backends load in parallel).
    """
    import logging
    import time

    logging.getLogger().setLevel(logging.WARNING)
    started = time.perf_counter()
    db = Database(url)
    try:
        load_demo(Lifecycle(db), now=datetime.fromisoformat(now_iso))
    finally:
        db.dispose()
    return time.perf_counter() - started


def clone(backends: Backends, backend: str, source: str, name: str) -> str:
    """A copy of database ``source`` named ``name``; returns its URL. Nothing may be connected
    to ``source`` on PostgreSQL (dispose engines and stop servers first)."""
    if backend == "sqlite":
        target = sqlite_path(backends, name)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        src = sqlite3.connect(sqlite_path(backends, source))
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
            src.close()
        return url_of(backends, backend, name)
    admin = backends._admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS lexflow_bench_{name} WITH (FORCE)"))
            conn.execute(
                text(f"CREATE DATABASE lexflow_bench_{name} TEMPLATE lexflow_bench_{source}")
            )
    finally:
        admin.dispose()
    backends.pg_databases.append(f"lexflow_bench_{name}")
    return url_of(backends, backend, name)


def issue_tokens(url: str, usernames: list[str]) -> dict[str, str]:
    """One API token per user (issued before the database is copied: valid in every copy)."""
    db = Database(url)
    try:
        with db.write() as session:
            tokens = {}
            for username in usernames:
                user = session.execute(select(User).where(User.username == username)).scalar_one()
                tokens[username] = accounts.issue_token(session, user, "bench")
            return tokens
    finally:
        db.dispose()


def db_size(url: str) -> int:
    db = Database(url)
    try:
        with db.read() as session:
            if db.is_sqlite:
                pages = session.execute(text("PRAGMA page_count")).scalar_one()
                size = session.execute(text("PRAGMA page_size")).scalar_one()
                return int(pages) * int(size)
            return int(
                session.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            )
    finally:
        db.dispose()


def task_counts(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        with db.read() as session:
            rows = session.execute(
                text("SELECT state, count(*) FROM human_task GROUP BY state")
            ).all()
            instances = session.execute(text("SELECT count(*) FROM process_instance")).scalar_one()
        return {"instances": int(instances), **{str(s): int(n) for s, n in rows}}
    finally:
        db.dispose()


# 100 k instances in bulk -------------------------------------------------------------------------
def _demo_vocabulary() -> tuple[list[str], list[str], list[str]]:
    """(roles, organisations, users) of the demo province, the measured users' first.

    ``bench/_inbox.py`` draws roles and organisations with a Zipf-like skew over its lists,
    so what comes first carries the most work: the measured users' grants.
    """
    people = {person.username: person for person in province.USERS}
    first_roles: list[str] = []
    first_orgs: list[str] = []
    for username in INBOX_USERS:
        for role, org in people[username].grants:
            if role not in first_roles:
                first_roles.append(role)
            if org and org not in first_orgs:
                first_orgs.append(org)
    roles = first_roles + sorted(LANE_ROLES - set(first_roles))
    orgs = first_orgs + [o.code for o in province.ORGANISATIONS if o.code not in first_orgs]
    # Demo users first, then invented colleagues (who exist only as assignees), so that the
    # demo users hold a province's share of claimed work, not all of it.
    demo_users = [person.username for person in province.USERS]
    users = demo_users + [f"cb.{k:04d}" for k in range(_inbox.N_USERS - len(demo_users))]
    return roles, orgs, users


@contextmanager
def demo_vocabulary() -> Iterator[None]:
    """Point bench/_inbox.py's row generator at the demo province's roles, units and users.

    ``_inbox.generate`` reads these module globals; they are restored afterwards.
    """
    roles, orgs, users = _demo_vocabulary()
    names = ("ROLES", "ORGS", "USERS", "ROLE_CUM", "ORG_CUM")
    saved = {name: getattr(_inbox, name) for name in names}
    _inbox.ROLES = roles
    _inbox.ORGS = orgs
    _inbox.USERS = users
    _inbox.ROLE_CUM = _inbox._zipf(len(roles), 0.8)
    _inbox.ORG_CUM = _inbox._zipf(len(orgs), 0.6)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(_inbox, name, value)


def bulk_load(backend: str, url: str, path: Path | None, instances: int, seed: int) -> float:
    """Add ``instances`` process instances (20 tasks each) to the demo; seconds taken."""
    import time

    started = time.perf_counter()
    db = Database(url)
    try:
        template = _inbox.prepare(db, build_model(42))
    finally:
        db.dispose()
    rows = instances * _inbox.TASKS_PER_INSTANCE
    now = datetime.now(UTC)
    with demo_vocabulary():
        if backend == "sqlite":
            assert path is not None
            _inbox.load_sqlite(str(path), template, seed, 0, rows, now)
        else:
            _inbox.load_postgres(url, template, seed, 0, rows, now)
    return time.perf_counter() - started


# Completable tasks -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Completable:
    task_id: str
    username: str  # who completes it (the specialist of the consulted department)


def prepare_completions(url: str, count: int, batch: int = 200) -> list[Completable]:
    """Deploy the reply model and start ``count`` instances, one open reply task each.

    The departments take turns, so each one's specialist has the same share.
    """
    db = Database(url)
    try:
        lifecycle = Lifecycle(db)
        forms = {"consultation_reply.json": (MODELS / "forms" / "consultation_reply.json")}
        lifecycle.engine.deploy(
            {"bench_web_reply.bpmn": REPLY_MODEL, **{k: v.read_bytes() for k, v in forms.items()}},
            "system",
            "web benchmark",
        )
        departments = list(COMPLETERS)
        with db.read() as session:
            snapshot = rules_snapshot(session, "qd_ubnd_tinh", vietnam_date(clock.now()))
        started = 0
        while started < count:
            with db.write() as session:
                for number in range(started, min(count, started + batch)):
                    agency = departments[number % len(departments)]
                    lifecycle.engine.start(
                        REPLY_PROCESS,
                        actor=SYSTEM,
                        business_key=f"BW-{number:06d}",
                        organisation=agency,
                        data={
                            "title": f"Dự thảo quyết định thử tải số {number}",
                            "agency": agency,
                            "document_type": "qd_ubnd_tinh",
                            "procedure": "normal",
                            "deadline_rules": snapshot,
                        },
                        session=session,
                    )
            started = min(count, started + batch)
        with db.read() as session:
            rows = session.execute(
                text(
                    "SELECT id, organisation FROM human_task WHERE process_key = :key "
                    "AND state = 'open' ORDER BY instance_id"
                ),
                {"key": REPLY_PROCESS},
            ).all()
    finally:
        db.dispose()
    return [Completable(str(task_id), COMPLETERS[str(org)]) for task_id, org in rows]


def completion_outcome(url: str) -> dict[str, Any]:
    """How many reply tasks ended completed / still open, and review tasks created."""
    db = Database(url)
    try:
        with db.read() as session:
            rows = session.execute(
                text(
                    "SELECT spec_id, state, count(*) FROM human_task WHERE process_key = :key "
                    "GROUP BY spec_id, state"
                ),
                {"key": REPLY_PROCESS},
            ).all()
        return {f"{spec}:{state}": int(n) for spec, state, n in rows}
    finally:
        db.dispose()
