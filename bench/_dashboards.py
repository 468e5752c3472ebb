"""The dashboard benchmark (see bench/dashboards.py and bench/README.md)."""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from engine import Database, clock
from engine.models import HumanTask, ProcessInstance
from workflows.calendar import vietnam_date
from workflows.demo import DEFAULT_PASSWORD, load_demo
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle
from workflows.plan import PlanItem, plan_status
from workflows.reports.access import DashboardScope
from workflows.reports.figures import (
    Filters,
    plan_drafts,
    plan_figures,
    registry_figures,
    task_figures,
)
from workflows.reports.plan_watch import notify_infeasible_plans
from workflows.reports.steps import StepCatalog
from workflows.step_times import CompletedStep

from ._main import Backends, heading, workdir

#: The moment the demo is loaded and every query runs (a fixed day: figures repeatable).
NOW = datetime.fromisoformat("2026-06-10T03:00:00+00:00")
TASKS_PER_DRAFT = 6
BATCH = 5000
#: A query slower than this at p95 needs an index or a rewrite (issue 12).
TARGET_MS = 500.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--drafts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--workdir", help="keep the SQLite files here")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one backend")
    parser.add_argument(
        "--skip", default="", help="comma-separated query names (prefixes) not to run"
    )
    return parser.parse_args(argv)


def _rows(session: Any, model: Any, where: Any = None) -> list[dict[str, Any]]:
    query = select(model.__table__)
    if where is not None:
        query = query.where(where)
    return [dict(row._mapping) for row in session.execute(query).all()]


def bulk_drafts(db: Database, total: int, seed: int) -> dict[str, int]:
    """Copy the demo's drafts (with instance, plan item and tasks) until ``total`` drafts."""
    rng = random.Random(seed)
    with db.read() as session:
        drafts = _rows(session, Draft, Draft.instance_id.is_not(None))
        instances = {r["id"]: r for r in _rows(session, ProcessInstance)}
        items = {r["id"]: r for r in _rows(session, PlanItem)}
        tasks: dict[int, list[dict[str, Any]]] = {}
        for row in _rows(session, HumanTask):
            tasks.setdefault(row["instance_id"], []).append(row)
        next_draft = (session.execute(select(func.max(Draft.id))).scalar_one() or 0) + 1
        next_instance = (session.execute(select(func.max(ProcessInstance.id))).scalar_one()) + 1
        next_item = (session.execute(select(func.max(PlanItem.id))).scalar_one() or 0) + 1
        existing = session.execute(select(func.count()).select_from(Draft)).scalar_one()
    counts = {"drafts": 0, "tasks": 0}
    pending: dict[str, list[dict[str, Any]]] = {"i": [], "p": [], "d": [], "t": [], "s": []}

    def flush() -> None:
        with db.write() as session:
            for key, model in (("i", ProcessInstance), ("p", PlanItem), ("d", Draft)):
                if pending[key]:
                    session.execute(insert(model), pending[key])
            if pending["t"]:
                session.execute(insert(HumanTask), pending["t"])
            if pending["s"]:
                session.execute(insert(CompletedStep), pending["s"])
        for values in pending.values():
            values.clear()

    for n in range(total - existing):
        source = rng.choice(drafts)
        shift = timedelta(days=rng.randint(-150, 60))
        instance = dict(instances[source["instance_id"]], id=next_instance + n)
        instance["business_key"] = f"B{n:07d}"
        pending["i"].append(instance)
        item_id = None
        if source["plan_item_id"] in items:
            item = dict(items[source["plan_item_id"]], id=next_item + n)
            if item["target_date"]:
                item["target_date"] = item["target_date"] + shift
            pending["p"].append(item)
            item_id = item["id"]
        draft = dict(
            source,
            id=next_draft + n,
            code=f"B-{n:07d}",
            instance_id=instance["id"],
            plan_item_id=item_id,
            number=None,
        )
        if draft["target_date"]:
            draft["target_date"] = draft["target_date"] + shift
        pending["d"].append(draft)
        own = tasks.get(source["instance_id"], [])
        for task in rng.sample(own, min(TASKS_PER_DRAFT, len(own))):
            copy = dict(
                task, id=str(uuid.UUID(int=rng.getrandbits(128))), instance_id=instance["id"]
            )
            for column in ("created_at", "claimed_at", "completed_at", "due_at"):
                if copy[column] is not None:
                    copy[column] = copy[column] + shift
            pending["t"].append(copy)
            if copy["state"] == "completed":  # what the completion listener would write
                pending["s"].append(completed_step(copy, instance, draft))
            counts["tasks"] += 1
        counts["drafts"] += 1
        if len(pending["d"]) >= BATCH:
            flush()
    flush()
    return counts


def completed_step(
    task: dict[str, Any], instance: dict[str, Any], draft: dict[str, Any]
) -> dict[str, Any]:
    """The ``completed_step`` row of a copied completed task (the copies bypass the engine's
    listeners, so the step-time figures would not see them otherwise)."""
    return {
        "task_id": task["id"],
        "instance_id": instance["id"],
        "spec_id": task["spec_id"],
        "definition_id": instance["definition_id"],
        "document_type": draft["document_type"],
        "procedure": draft["procedure"],
        "lead_agency": draft["lead_agency"],
        "created_day": vietnam_date(task["created_at"]),
        "completed_day": vietnam_date(task["completed_at"]),
    }


def _time(call: Callable[[], Any], repeats: int) -> tuple[float, float]:
    call()  # warm the caches (parsed specs, the planner's rules)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95


def queries(lifecycle: Lifecycle) -> dict[str, Callable[[], Any]]:
    db = lifecycle.db
    year = vietnam_date(NOW).year
    everything = DashboardScope(None)
    one_agency = DashboardScope(frozenset({"SXD"}))
    filters = Filters(year=year)

    def run(body: Callable[[Any], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with db.read() as session:
                return body(session)

        return call

    return {
        "plan figures (province)": run(lambda s: plan_figures(s, filters, everything)),
        "plan figures (one agency)": run(lambda s: plan_figures(s, filters, one_agency)),
        "plan drill-down: behind": run(
            lambda s: plan_drafts(s, filters, everything, state="behind")
        ),
        "task figures (province)": run(
            lambda s: task_figures(
                s, filters, everything, lifecycle.calendar(), StepCatalog(lifecycle.engine, s)
            )
        ),
        "task figures (one agency)": run(
            lambda s: task_figures(
                s, filters, one_agency, lifecycle.calendar(), StepCatalog(lifecycle.engine, s)
            )
        ),
        "registry figures": run(lambda s: registry_figures(s, filters, everything)),
        "plan_status (Python, all)": run(lambda s: plan_status(s, year)),
        "daily infeasibility check": run(
            lambda s: notify_infeasible_plans(s, lifecycle.calendar())
        ),
        **pages(lifecycle, year),
    }


#: The pages timed whole (request to HTML) through the app's test client, as the admin.
PAGES = {
    "page /plan": "/plan?year={year}",
    "page /plan, behind, page 2": "/plan?year={year}&state=behind&page=2",
    "page /plan, searched": "/plan?year={year}&q=quy+dinh",
    "page /dashboards/plan": "/dashboards/plan?year={year}",
    "page /dashboards/tasks": "/dashboards/tasks?year={year}",
    "page /dashboards/registry": "/dashboards/registry?year={year}",
}


def pages(lifecycle: Lifecycle, year: int) -> dict[str, Callable[[], Any]]:
    """The pages a reader opens, timed whole: queries, access checks, slack, templates."""
    from tests.support.web import signed_in
    from web import create_app

    app = create_app(
        {
            "DATABASE_URL": lifecycle.db.url,
            "SECRET_KEY": "bench-secret",
            "TESTING": True,
            "SCHEDULER_ENABLED": False,
        }
    )
    app.extensions["lexflow"] = lifecycle
    client = signed_in(app, "admin", DEFAULT_PASSWORD)

    def get(path: str) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")
            return response

        return call

    return {name: get(path.format(year=year)) for name, path in PAGES.items()}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results: dict[str, dict[str, tuple[float, float]]] = {}
    with workdir(args.workdir) as folder:
        backends = Backends(folder, not args.no_postgres)
        try:
            skipped = [name.strip() for name in args.skip.split(",") if name.strip()]
            for backend in backends.names:
                if args.only and backend != args.only:
                    continue
                heading(f"{backend}: loading the demo and {args.drafts:,} drafts")
                db = backends.database(backend, "dashboards")
                lifecycle = Lifecycle(db)
                started = time.perf_counter()
                load_demo(lifecycle, now=NOW)
                print(f"demo loaded in {time.perf_counter() - started:.0f} s")
                started = time.perf_counter()
                counts = bulk_drafts(db, args.drafts, args.seed)
                print(
                    f"{counts['drafts']:,} drafts and {counts['tasks']:,} tasks added in "
                    f"{time.perf_counter() - started:.0f} s"
                )
                if backend == "postgresql":
                    with db.write() as session:
                        session.execute(func.now().select())  # a connection, then ANALYZE
                        session.connection().exec_driver_sql("ANALYZE")
                results[backend] = {}
                with clock.frozen_at(NOW):
                    for name, call in queries(lifecycle).items():
                        if any(name.startswith(prefix) for prefix in skipped):
                            continue
                        results[backend][name] = _time(call, args.repeats)
                        p50, p95 = results[backend][name]
                        print(f"  {name:<30} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms")
                db.dispose()
        finally:
            backends.close()
    heading(f"Dashboard queries and pages with {args.drafts:,} drafts (ms, {args.repeats} runs)")
    names = list(next(iter(results.values())))
    if not names:
        return 0
    header = f"{'query':<30}" + "".join(f" {b + ' p50':>16} {b + ' p95':>16}" for b in results)
    print(header)
    for name in names:
        cells = "".join(
            f" {results[b][name][0]:16.1f} {results[b][name][1]:16.1f}" for b in results
        )
        slow = any(results[b][name][1] > TARGET_MS for b in results)
        print(f"{name:<30}{cells}  {'OVER ' + str(int(TARGET_MS)) + ' ms' if slow else ''}")
    return 0
