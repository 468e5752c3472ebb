"""(d) Inbox query latency over a human_task table of 10 k .. 1 M rows.

Rows are bulk-inserted straight into the engine's tables (loading them through the engine
API would take hours) with realistic distributions, then the inbox views are queried through
``Engine.tasks`` / ``Engine.count_tasks`` exactly as the web layer does. The rows are
generated deterministically from the seed in fixed chunks, so SQLite and PostgreSQL get
byte-for-byte the same data.
"""

from __future__ import annotations

import random
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import JSON, event, inspect, text
from sqlalchemy.engine import make_url

from engine import Actor, Database, Engine, RoleGrant, StaticDirectory, TaskQuery

from ._support import START_DATA, Model, summarize

N_ROLES = 30
N_ORGS = 40
N_USERS = 5000
TASKS_PER_INSTANCE = 20
INSTANCE_ID_BASE = 1000  # bulk instances start here; the engine-started template is below
CHUNK = 50_000
PROCESS_KEYS = ("bench_chain", "nq_hdnd_tinh", "qd_ubnd_tinh", "nq_hdnd_xa", "qd_ubnd_xa")

TASK_COLUMNS = (
    "id",
    "instance_id",
    "process_key",
    "spec_id",
    "spec_name",
    "title",
    "lane",
    "role",
    "organisation",
    "assignee",
    "state",
    "due_at",
    "created_at",
    "claimed_at",
    "claimed_by",
    "completed_at",
    "completed_by",
    "labels",
)
INSTANCE_COLUMNS = (
    "id",
    "definition_id",
    "definition_key",
    "business_key",
    "organisation",
    "status",
    "state",
    "state_format",
    "version",
    "audit_seq",
    "started_by",
    "started_at",
    "updated_at",
    "ended_at",
)
DATETIME_TASK_COLUMNS = (11, 12, 13, 15)
DATETIME_INSTANCE_COLUMNS = (11, 12, 13)


def _zipf(n: int, s: float) -> list[float]:
    return list(accumulate(1.0 / (k + 1) ** s for k in range(n)))


ROLES = [f"role_{k:02d}" for k in range(N_ROLES)]
ORGS = [f"ORG{k:02d}" for k in range(N_ORGS)]
ROLE_CUM = _zipf(N_ROLES, 0.8)  # a few roles (specialists) carry most of the work
ORG_CUM = _zipf(N_ORGS, 0.6)  # big departments have more work than small communes
USERS = [f"user_{k:04d}" for k in range(N_USERS)]


def user_grants(seed: int) -> list[tuple[RoleGrant, ...]]:
    """2 or 3 (role, organisation) grants per user, drawn like the work itself."""
    rng = random.Random(seed)
    result = []
    for _ in range(N_USERS):
        count = rng.choice((2, 2, 3))
        grants: set[RoleGrant] = set()
        while len(grants) < count:
            role = rng.choices(ROLES, cum_weights=ROLE_CUM)[0]
            org = rng.choices(ORGS, cum_weights=ORG_CUM)[0]
            grants.add(RoleGrant(role, org))
        result.append(tuple(sorted(grants, key=lambda g: (g.role, g.organisation or ""))))
    return result


def generate(
    seed: int, start: int, stop: int, now: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(instance rows, task rows) for task rows [start, stop); deterministic per range."""
    rng = random.Random(f"{seed}:{start}:{stop}")
    tasks: list[tuple[Any, ...]] = []
    instances: list[tuple[Any, ...]] = []
    day = 86400.0
    for row in range(start, stop):
        instance_id = INSTANCE_ID_BASE + row // TASKS_PER_INSTANCE
        position = row % TASKS_PER_INSTANCE
        if position == 0:
            started = now - timedelta(seconds=rng.uniform(0, 365 * day))
            org = rng.choices(ORGS, cum_weights=ORG_CUM)[0]
            running = rng.random() < 0.3
            instances.append(
                (
                    instance_id,
                    None,  # definition_id: filled by the loader
                    PROCESS_KEYS[instance_id % len(PROCESS_KEYS)],
                    f"BK-{instance_id}",
                    org,
                    "running" if running else "completed",
                    None,  # state: filled by the loader (one shared valid blob)
                    "json+zlib",
                    TASKS_PER_INSTANCE + 1,
                    TASKS_PER_INSTANCE,
                    rng.choice(USERS),
                    started,
                    started + timedelta(seconds=rng.uniform(0, 30 * day)),
                    None if running else started + timedelta(seconds=rng.uniform(0, 60 * day)),
                )
            )
        r = rng.random()
        if r < 0.10:
            state = "open"
        elif r < 0.13:
            state = "claimed"
        elif r < 0.93:
            state = "completed"
        else:
            state = "cancelled"
        role = rng.choices(ROLES, cum_weights=ROLE_CUM)[0]
        organisation = None if rng.random() < 0.02 else rng.choices(ORGS, cum_weights=ORG_CUM)[0]
        due = (
            now + timedelta(seconds=rng.uniform(-90 * day, 90 * day))
            if rng.random() < 0.85
            else None
        )
        created = now - timedelta(seconds=rng.uniform(0, 200 * day))
        user = rng.choice(USERS) if state != "open" else None
        claimed_at = created + timedelta(seconds=rng.uniform(0, 5 * day)) if user else None
        done_at = (
            claimed_at + timedelta(seconds=rng.uniform(0, 10 * day))
            if state == "completed" and claimed_at
            else (created + timedelta(days=3) if state == "cancelled" else None)
        )
        step = rng.randrange(1, 43)
        tasks.append(
            (
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                instance_id,
                PROCESS_KEYS[instance_id % len(PROCESS_KEYS)],
                f"Task_{step:02d}",
                f"Step {step}",
                f"Step {step}: hồ sơ BK-{instance_id}",
                ("Drafting", "Checking", "Approval")[step % 3],
                role,
                organisation,
                user if state in ("claimed", "completed") else None,
                state,
                due,
                created,
                claimed_at,
                user if claimed_at else None,
                done_at,
                user if state == "completed" else None,
                "{}",
            )
        )
    return instances, tasks


def _sqlite_time(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DATETIME storage format (naive UTC, always with microseconds).
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _for_sqlite(rows: list[tuple[Any, ...]], columns: tuple[int, ...]) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        values = list(row)
        for index in columns:
            values[index] = _sqlite_time(values[index])
        out.append(tuple(values))
    return out


# Loading -----------------------------------------------------------------------------------------
@dataclass
class Template:
    definition_id: int
    state: bytes
    # Columns the live schema has beyond the generated ones (NOT NULL, filled with a constant).
    task_extra: dict[str, Any] = field(default_factory=dict)
    instance_extra: dict[str, Any] = field(default_factory=dict)


def _extra_columns(db: Database, table: str, generated: tuple[str, ...]) -> dict[str, Any]:
    """NOT NULL columns of ``table`` the generator does not produce, with a fill value.

    The engine's schema evolves; JSON columns get ``{}``, anything else stops the run with a
    message saying which column the bench has to learn about.
    """
    extra: dict[str, Any] = {}
    for column in inspect(db.engine).get_columns(table):
        name = column["name"]
        if name in generated or column.get("nullable", True) or column.get("default"):
            continue
        if isinstance(column["type"], JSON) or name == "labels":
            extra[name] = "{}"
            continue
        raise RuntimeError(
            f"bench/_inbox.py does not know how to fill {table}.{name} (NOT NULL); update it"
        )
    return extra


def prepare(db: Database, model: Model) -> Template:
    """Deploy the model and start one instance whose state blob the bulk rows share."""
    starter = Actor(id="bench", grants=frozenset({RoleGrant("drafter", "ORG01")}))
    engine = Engine(db, directory=StaticDirectory([starter]))
    [definition] = engine.deploy({"bench_chain.bpmn": model.xml}, "bench")
    info = engine.start(model.process_id, actor=starter, data=START_DATA, organisation="ORG01")
    with db.read() as session:
        state = session.execute(
            text("SELECT state FROM process_instance WHERE id = :id"), {"id": info.id}
        ).scalar_one()
    return Template(
        definition_id=definition.id,
        state=bytes(state),
        task_extra=_extra_columns(db, "human_task", TASK_COLUMNS),
        instance_extra=_extra_columns(db, "process_instance", INSTANCE_COLUMNS),
    )


def _fill(instances: list[tuple[Any, ...]], template: Template) -> Iterator[tuple[Any, ...]]:
    extra = tuple(template.instance_extra.values())
    for row in instances:
        values = list(row)
        values[1] = template.definition_id
        values[6] = template.state
        yield (*values, *extra)


def _with_extra(rows: list[tuple[Any, ...]], extra: dict[str, Any]) -> list[tuple[Any, ...]]:
    if not extra:
        return rows
    tail = tuple(extra.values())
    return [(*row, *tail) for row in rows]


def _columns(base: tuple[str, ...], extra: dict[str, Any]) -> str:
    return ", ".join((*base, *extra))


def load_sqlite(
    path: str, template: Template, seed: int, start: int, stop: int, now: datetime
) -> None:
    # Column names come from module constants and the reflected schema, not from input.
    task_cols = _columns(TASK_COLUMNS, template.task_extra)
    inst_cols = _columns(INSTANCE_COLUMNS, template.instance_extra)
    task_sql = (
        f"INSERT INTO human_task ({task_cols}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in task_cols.split(', '))})"
    )
    inst_sql = (
        f"INSERT INTO process_instance ({inst_cols}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in inst_cols.split(', '))})"
    )
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        for lo in range(start, stop, CHUNK):
            hi = min(stop, lo + CHUNK)
            instances, tasks = generate(seed, lo, hi, now)
            conn.execute("BEGIN")
            conn.executemany(
                inst_sql, _for_sqlite(list(_fill(instances, template)), DATETIME_INSTANCE_COLUMNS)
            )
            conn.executemany(
                task_sql,
                _with_extra(_for_sqlite(tasks, DATETIME_TASK_COLUMNS), template.task_extra),
            )
            conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _conninfo(url: str) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def load_postgres(
    url: str, template: Template, seed: int, start: int, stop: int, now: datetime
) -> None:
    import psycopg

    task_cols = _columns(TASK_COLUMNS, template.task_extra)
    inst_cols = _columns(INSTANCE_COLUMNS, template.instance_extra)
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        for lo in range(start, stop, CHUNK):
            hi = min(stop, lo + CHUNK)
            instances, tasks = generate(seed, lo, hi, now)
            with conn.transaction(), conn.cursor() as cur:
                with cur.copy(f"COPY process_instance ({inst_cols}) FROM STDIN") as copy:
                    for row in _fill(instances, template):
                        copy.write_row(row)
                with cur.copy(f"COPY human_task ({task_cols}) FROM STDIN") as copy:
                    for row in _with_extra(tasks, template.task_extra):
                        copy.write_row(row)
        conn.execute("VACUUM (ANALYZE) process_instance")
        conn.execute("VACUUM (ANALYZE) human_task")


# Measuring ---------------------------------------------------------------------------------------
QUERIES = ("my tasks: tasks()", "my tasks: count()", "my roles: tasks()", "my roles: count()")


@dataclass
class QueryResult:
    backend: str
    rows: int
    query: str
    stats: dict[str, float]
    mean_result: float
    statements: float = 0.0  # SQL statements sent per call (BEGIN/COMMIT not counted)


@dataclass
class InboxRun:
    results: list[QueryResult] = field(default_factory=list)
    load_seconds: dict[tuple[str, int], float] = field(default_factory=dict)
    db_bytes: dict[tuple[str, int], int] = field(default_factory=dict)
    plans: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def measure(
    engine: Engine,
    backend: str,
    rows: int,
    grants: list[tuple[RoleGrant, ...]],
    repeats: int,
    seed: int,
) -> list[QueryResult]:
    rng = random.Random(f"{seed}:queries")  # the same users at every size and backend
    calls: list[tuple[str, Callable[[int], int]]] = [
        (QUERIES[0], lambda u: len(engine.tasks(TaskQuery(assignee=USERS[u], limit=50)))),
        (QUERIES[1], lambda u: engine.count_tasks(TaskQuery(assignee=USERS[u]))),
        (QUERIES[2], lambda u: len(engine.tasks(TaskQuery(grants=grants[u], limit=50)))),
        (QUERIES[3], lambda u: engine.count_tasks(TaskQuery(grants=grants[u]))),
    ]
    for _ in range(20):  # warm the pool, caches and prepared statements
        u = rng.randrange(N_USERS)
        for _, call in calls:
            call(u)
    timings: dict[str, list[int]] = {name: [] for name, _ in calls}
    sizes: dict[str, list[int]] = {name: [] for name, _ in calls}
    for _ in range(repeats):
        u = rng.randrange(N_USERS)
        for name, call in calls:
            t0 = time.perf_counter_ns()
            n = call(u)
            timings[name].append(time.perf_counter_ns() - t0)
            sizes[name].append(n)
    statements: dict[str, int] = dict.fromkeys(timings, 0)
    sample = [rng.randrange(N_USERS) for _ in range(20)]
    for name, call in calls:  # untimed: how many statements does one call send?
        for u in sample:
            statements[name] += len(capture_sql(engine.db, lambda call=call, u=u: call(u)))
    return [
        QueryResult(
            backend=backend,
            rows=rows,
            query=name,
            stats=summarize(timings[name]),
            mean_result=sum(sizes[name]) / len(sizes[name]),
            statements=statements[name] / len(sample),
        )
        for name, _ in calls
    ]


def capture_sql(db: Database, action: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The SELECT statements (with parameters) that ``action`` sends to the database."""
    captured: list[tuple[str, Any]] = []

    def listener(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return captured


def explain(db: Database, statements: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """(SQL with parameters, plan) for each distinct statement shape."""
    seen: set[str] = set()
    plans: list[tuple[str, str]] = []
    for statement, params in statements:
        if statement in seen:
            continue
        seen.add(statement)
        with db.engine.connect() as conn:
            if db.is_sqlite:
                result = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
                plan = "\n".join(f"{'  ' * _depth(r, result)}{r[3]}" for r in result.fetchall())
            else:
                result = conn.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", params
                )
                plan = "\n".join(r[0] for r in result.fetchall())
        plans.append((f"{' '.join(statement.split())}\n  -- params: {params}", plan))
    return plans


def _depth(row: Any, _result: Any) -> int:
    # EXPLAIN QUERY PLAN rows are (id, parent, notused, detail); nesting shown flat but
    # children (parent != 0) are indented one level, which is enough to read them.
    return 1 if row[1] else 0


def hot_grants() -> tuple[RoleGrant, ...]:
    """A worst-case user: the three (role, organisation) pairs with the most open work."""
    return (
        RoleGrant(ROLES[0], ORGS[0]),
        RoleGrant(ROLES[0], ORGS[1]),
        RoleGrant(ROLES[1], ORGS[0]),
    )
