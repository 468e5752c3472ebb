"""The body of bench/report.py: every benchmark in one run, one table of figures and targets.

It runs pieces of the other benchmarks in one process on the same machine (see
bench/README.md, "The performance report"): the step section of bench/engine.py (raw
SpiffWorkflow against ``Engine.complete``), the same chain model completed over HTTP, the
real ``nq_hdnd_tinh`` lifecycle walked by the autopilot, the cost of a step in a 20-task and a
200-task instance, the inbox through the engine and as the HTML page at growing sizes (the
web benchmark's demo database plus bulk-loaded tasks), timers fired per second (bench/timers.py)
and HTTP completions per second with 1 and 4 gunicorn workers (bench/web.py). Their detailed
output goes to a log file; stdout gets the machine, the progress and the one table.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from engine import Database, Engine, TaskQuery, clock

from . import _inbox, _main, _steps, _timers, _web
from . import _web_data as data
from ._support import (
    START_DATA,
    build_model,
    load_average,
    machine_info,
    summarize,
    table,
)
from ._web_http import SECRET_KEY, Gunicorn, HttpClient, json_body

RESULTS = Path(__file__).resolve().parent / "results"

# The targets of issue 13 ("Performance report").
TARGET_ENGINE_SQLITE = 1.0  # engine step / raw SpiffWorkflow step
TARGET_ENGINE_PG = 1.3
TARGET_PAGE_P95_MS = 50.0  # inbox page p95 at the largest size (1 M tasks)
TARGET_HTTP_RATE_PG_4 = 150.0  # completions/s over HTTP, PostgreSQL, 4 workers
TARGET_LARGE_SMALL = 1.5  # step of a 200-task instance / step of a 20-task instance

#: The chain model's lanes with roles of the real directory, for the HTTP step (demo users
#: cv.sxd = drafter@SXD, gd.sxd = agency_head@SXD answer them).
HTTP_LANES = (
    ("Drafting", "drafter", "org"),
    ("Checking", "drafter", "org"),
    ("Approval", "agency_head", "org"),
)
HTTP_PEOPLE = {"drafter": "cv.sxd", "agency_head": "gd.sxd"}
PAGE_ENDPOINTS = tuple(e for e in _web.ENDPOINTS if e[0].startswith("page"))
LIFECYCLE_T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday, 09:00 in Hà Nội


#: Sections of the report (``--skip``); "web" is everything on the demo database.
SECTIONS = ("steps", "scale", "lifecycle", "timers", "web")


# Options -----------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/report.py",
        description="Lexflow performance report: every benchmark in one run, one table "
        "(prints figures; never fails on timing).",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run, small sizes (< 3 min)")
    parser.add_argument(
        "--sizes", default=None, help="bulk inbox tasks, e.g. 10000,100000,1000000 (default)"
    )
    parser.add_argument("--instances", type=int, default=None, help="timed instances (10)")
    parser.add_argument("--repeats", type=int, default=None, help="timed inbox calls (200)")
    parser.add_argument("--timers", type=int, default=None, help="due timers per run (2000)")
    parser.add_argument(
        "--completions", type=int, default=None, help="HTTP completions per configuration (800)"
    )
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--workdir", default=None, help="SQLite files and server logs (temp)")
    parser.add_argument(
        "--log", default=None, help="where the sections' detailed output goes (bench/results/)"
    )
    parser.add_argument("--save", action="store_true", help="also write bench/results/*.json")
    parser.add_argument(
        "--skip",
        default="",
        help=f"comma-separated sections to leave out: {', '.join(SECTIONS)}",
    )
    args = parser.parse_args(argv)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if args.skip - set(SECTIONS):
        parser.error(f"unknown sections: {', '.join(sorted(args.skip - set(SECTIONS)))}")
    quick = args.quick
    sizes = args.sizes or ("2000,10000" if quick else "10000,100000,1000000")
    args.sizes = sorted(int(s.replace("_", "")) for s in sizes.split(",") if s.strip())
    args.instances = args.instances or (2 if quick else 10)
    args.warmup = 1 if quick else 2
    args.repeats = args.repeats or (20 if quick else 200)
    args.timers = args.timers or (100 if quick else 2000)
    args.completions = args.completions or (40 if quick else 800)
    args.small_large = (20, 60) if quick else (20, 200)
    args.scale_instances = 1 if quick else 3
    args.http_instances = 1 if quick else 5
    # What bench/engine.py's step section and bench/web.py's completion section read.
    args.tasks = 42
    args.profile = False
    args.configs = (
        _web.CompletionConfig("postgresql", 1, 1, 4),
        _web.CompletionConfig("postgresql", 4, 1, 8),
        _web.CompletionConfig("sqlite", 1, 1, 4),
        _web.CompletionConfig("sqlite", 4, 1, 8),
    )
    args.warmup_rounds = 1 if quick else 2
    return args


# Output ------------------------------------------------------------------------------------------
@dataclass
class Report:
    """What the sections found; ``figures[key][backend]`` (backend "sqlite"/"postgresql")."""

    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def put(self, key: str, backend: str, value: Any) -> None:
        self.figures.setdefault(key, {})[backend] = value

    def get(self, key: str, backend: str) -> Any:
        return self.figures.get(key, {}).get(backend)


def progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.__stdout__, flush=True)


@contextlib.contextmanager
def into(log: TextIO) -> Iterator[None]:
    """The sections' own tables and notes go to the log file, not to stdout."""
    with contextlib.redirect_stdout(log):
        try:
            yield
        finally:
            log.flush()


# Steps -------------------------------------------------------------------------------------------
def section_steps(args: argparse.Namespace, backends: _main.Backends, report: Report) -> None:
    """bench/engine.py's (a)/(b)/(c): raw SpiffWorkflow and Engine.complete per step."""
    out: dict[str, Any] = {}
    _main.section_steps(args, backends, out)
    stats = out["steps"]["stats_ms"]
    for backend in backends.names:
        report.put("raw", backend, stats["a"]["mean"])
        name = "b-pg" if backend == "postgresql" else "b-sqlite"
        report.put("engine", backend, stats[name]["mean"])
    report.put("raw_spec_reused", "sqlite", stats["a''"]["mean"])


def section_scale(args: argparse.Namespace, backends: _main.Backends, report: Report) -> None:
    """Mean ``Engine.complete`` in a 20-task and a 200-task instance (and raw Spiff's)."""
    for n_tasks in args.small_large:
        model = build_model(n_tasks)
        raw = _steps.raw_variants(model)[0]
        _steps.run_raw(raw)  # warm-up
        times = [ns for _ in range(args.scale_instances) for ns in _steps.run_raw(raw).steps]
        report.put(f"raw_{n_tasks}", "sqlite", summarize(times)["mean"])
        for backend in backends.names:
            db = backends.database(backend, f"scale_{n_tasks}")
            variant = _steps.engine_variant(f"b-{backend}-{n_tasks}", db, model)
            _steps.run_engine(variant)  # warm-up: the spec cache, the pool
            steps: list[int] = []
            for _ in range(args.scale_instances):
                gc.collect()
                steps += _steps.run_engine(variant).steps
            stats = summarize(steps)
            report.put(f"engine_{n_tasks}", backend, stats["mean"])
            print(f"{backend}, {n_tasks}-task instance: {stats}")
            db.dispose()


# Lifecycle ---------------------------------------------------------------------------------------
def section_lifecycle(backends: _main.Backends, report: Report) -> None:
    """One real ``nq_hdnd_tinh`` draft from registration to monitoring, by the autopilot
    (the end-to-end test's walk: dossier uploads, forms, timers fired as time passes)."""
    from tests.support import province
    from workflows.autopilot import Autopilot
    from workflows.lifecycle import Lifecycle

    for backend in backends.names:
        db = backends.database(backend, "lifecycle")
        with db.write() as session:
            province.seed(session)
        lifecycle = Lifecycle(db)
        lifecycle.deploy_models("owner")
        with clock.frozen_at(LIFECYCLE_T0), db.write() as session:
            draft = lifecycle.start_draft(
                session,
                lifecycle.engine.actor("cv.sxd"),
                title="Quy định mức thu phí tham quan di tích",
                document_type="nq_hdnd_tinh",
                lead_agency="SXD",
                commune=None,
                ground="none",
                consulted_agencies=("STC", "SNV"),
                target_session="Kỳ họp thứ 7",
            )
            session.flush()
        pilot = Autopilot(lifecycle, now=LIFECYCLE_T0, pace=timedelta(days=1))
        gc.collect()
        started = time.perf_counter()
        draft = pilot.run(draft)
        seconds = time.perf_counter() - started
        if draft.stage != "monitoring":
            raise RuntimeError(f"the lifecycle ended at {draft.stage}, not monitoring")
        report.put("lifecycle", backend, {"seconds": seconds, "steps": len(pilot.steps)})
        print(f"{backend}: lifecycle {len(pilot.steps)} steps in {seconds:.2f} s")
        db.dispose()


# The web database --------------------------------------------------------------------------------
def section_inbox(
    args: argparse.Namespace,
    backends: _main.Backends,
    tokens: dict[str, dict[str, str]],
    report: Report,
) -> None:
    """The demo plus bulk tasks growing to each size: Engine.tasks/count_tasks p95 for
    random users (bench/engine.py's (d), with the demo's roles and units), then the inbox
    page p95 for the web benchmark's five demo users over HTTP (gunicorn -w 1)."""
    for backend in backends.names:
        url = data.clone(backends, backend, "web_demo", "report_bulk")
        db = Database(url)
        template = _inbox.prepare(db, build_model(42))
        db.dispose()
        loaded = 0
        now = clock.now()
        for size in args.sizes:
            with data.demo_vocabulary():
                started = time.perf_counter()
                if backend == "sqlite":
                    path = str(data.sqlite_path(backends, "report_bulk"))
                    _inbox.load_sqlite(path, template, args.seed, loaded, size, now)
                else:
                    _inbox.load_postgres(url, template, args.seed, loaded, size, now)
                loaded = size
                seconds = time.perf_counter() - started
                print(f"{backend}: {size:,} bulk tasks loaded in {seconds:.1f} s")
                db = Database(url)
                grants = _inbox.user_grants(args.seed)
                results = _inbox.measure(Engine(db), backend, size, grants, args.repeats, args.seed)
                db.dispose()
            for r in results:
                print(f"  engine {r.query}: {r.stats}")
            worst = max(results, key=lambda r: r.stats["p95"])
            report.put(f"inbox_engine_{size}", backend, (worst.stats["p95"], worst.query))
            with Gunicorn(url, 1, 1, backends.workdir / f"gunicorn-report-{backend}.log") as server:
                server.warm_all_workers("/login", {})
                side = _web.Side("HTTP", lambda server=server: HttpClient(server.port))
                _web.measure_inbox(
                    [side], tokens[backend], args.repeats, args.warmup_rounds, PAGE_ENDPOINTS
                )
            pages = {label: summarize(bucket["ns"]) for label, bucket in side.samples.items()}
            for label, stats in pages.items():
                print(f"  {label}: {stats}")
            label, stats = max(pages.items(), key=lambda item: item[1]["p95"])
            report.put(f"inbox_page_{size}", backend, (stats["p95"], label))


def section_http_step(
    args: argparse.Namespace,
    backends: _main.Backends,
    tokens: dict[str, dict[str, str]],
    report: Report,
) -> None:
    """The step section's chain model, completed one task at a time over HTTP.

    ``POST /api/v1/tasks/{id}/complete`` to gunicorn -w 1 (sync) on loopback, one client, on a
    copy of the demo database, with the lanes given real roles; finding the next task id
    (in process) is not timed.
    """
    from workflows.lifecycle import Lifecycle

    model = build_model(42, lanes=HTTP_LANES)
    for backend in backends.names:
        url = data.clone(backends, backend, "web_demo", "report_http_step")
        lifecycle = Lifecycle(Database(url))
        engine = lifecycle.engine
        engine.deploy({"bench_chain.bpmn": model.xml}, "system", "performance report")
        starter = engine.actor("cv.sxd")
        header, _ = json_body({})
        steps: list[int] = []
        with Gunicorn(url, 1, 1, backends.workdir / f"gunicorn-step-{backend}.log") as server:
            client = HttpClient(server.port)
            for number in range(args.warmup + args.http_instances):
                info = engine.start(
                    model.process_id,
                    actor=starter,
                    data={**START_DATA, "org": "SXD"},
                    organisation="SXD",
                )
                index = 0
                while True:
                    ready = engine.tasks(TaskQuery(instance_id=info.id, states=("open",)))
                    if not ready:
                        break
                    task = ready[0]
                    token = tokens[backend][HTTP_PEOPLE[task.role or "drafter"]]
                    body = json.dumps({"data": _steps.step_data(index)}).encode()
                    started = time.perf_counter_ns()
                    reply = client.request(
                        "POST",
                        f"/api/v1/tasks/{task.id}/complete",
                        {**header, "Authorization": f"Bearer {token}"},
                        body,
                    )
                    elapsed = time.perf_counter_ns() - started
                    if reply.status != 200:
                        raise RuntimeError(f"HTTP step: {reply.status} {reply.body[:200]!r}")
                    if number >= args.warmup:
                        steps.append(elapsed)
                    index += 1
                if engine.instance(info.id).status != "completed":
                    raise RuntimeError(f"HTTP step: instance {info.id} did not complete")
            client.close()
        lifecycle.db.dispose()
        stats = summarize(steps)
        print(f"{backend}: HTTP step {stats}")
        report.put("http_step", backend, stats["mean"])


def section_completions(
    args: argparse.Namespace,
    backends: _main.Backends,
    tokens: dict[str, dict[str, str]],
    report: Report,
) -> None:
    """bench/web.py's completion section with 1 and 4 gunicorn sync workers."""
    out: dict[str, Any] = {}
    _web.section_complete(args, backends, tokens, out)
    for result in out["complete"]:
        config = result["config"]
        key = f"http_rate_{config['workers']}"
        report.put(key, config["backend"], (result["rate"], config["clients"], result["errors"]))


# Timers ------------------------------------------------------------------------------------------
class _TimerDatabases:
    """What bench/timers.py's runs need from their backends: ``fresh()`` migrated URLs."""

    def __init__(self, backends: _main.Backends, backend: str) -> None:
        self.backends = backends
        self.backend = backend
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        name = f"report_timers_{self.count}"
        self.backends.database(self.backend, name).dispose()
        return data.url_of(self.backends, self.backend, name)


def section_timers(args: argparse.Namespace, backends: _main.Backends, report: Report) -> None:
    """bench/timers.py's fire run: N due timers, 1 runner process (and 4 on PostgreSQL)."""
    for backend in backends.names:
        runners = (1, 4) if backend == "postgresql" else (1,)
        for count in runners:
            run = _timers._fire_run(_TimerDatabases(backends, backend), count, args.timers)
            print(f"{backend}, {count} runner(s): {run}")
            if not run["exactly_once"]:
                report.notes.append(f"timers {backend} x{count}: NOT exactly once")
            report.put(f"timers_{count}", backend, run["per_second"])


# The table ---------------------------------------------------------------------------------------
def verdict(ok: bool | None) -> str:
    if ok is None:
        return "-"
    return "met" if ok else "NOT met"


def _ms(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.2f} ms"


def rows_of(report: Report, args: argparse.Namespace) -> list[list[str]]:
    g = report.get
    rows: list[list[str]] = []

    def row(measure: str, sqlite: str, pg: str, target: str = "-", met: str = "-") -> None:
        rows.append([measure, sqlite, pg, target, met])

    raw = {b: g("raw", b) for b in ("sqlite", "postgresql")}
    row(
        "raw SpiffWorkflow step, 42-task chain (no database)",
        _ms(raw["sqlite"]),
        _ms(raw["postgresql"]),
    )
    ratios = {}
    cells = {}
    for b in ("sqlite", "postgresql"):
        value = g("engine", b)
        if value is None or raw[b] is None:
            cells[b] = "-"
            continue
        ratios[b] = value / raw[b]
        cells[b] = f"{value:.2f} ms = {ratios[b]:.2f}x raw"
    verdicts = []
    if "sqlite" in ratios:
        verdicts.append(f"SQLite {verdict(ratios['sqlite'] <= TARGET_ENGINE_SQLITE)}")
    if "postgresql" in ratios:
        verdicts.append(f"PG {verdict(ratios['postgresql'] <= TARGET_ENGINE_PG)}")
    row(
        "engine step (Engine.complete)",
        cells["sqlite"],
        cells["postgresql"],
        f"<= {TARGET_ENGINE_SQLITE}x raw (SQLite), <= {TARGET_ENGINE_PG}x (PG)",
        ", ".join(verdicts) or "-",
    )
    cells = {}
    for b in ("sqlite", "postgresql"):
        value, base = g("http_step", b), g("engine", b)
        cells[b] = (
            "-"
            if value is None or raw[b] is None
            else f"{value:.2f} ms = {value / raw[b]:.2f}x raw, {value / base:.2f}x engine"
        )
    row(
        "HTTP step (POST .../complete, gunicorn -w 1, 1 client)",
        cells["sqlite"],
        cells["postgresql"],
    )

    cells = {}
    for b in ("sqlite", "postgresql"):
        life = g("lifecycle", b)
        cells[b] = (
            "-"
            if life is None
            else f"{life['seconds']:.1f} s, {life['steps']} steps "
            f"({1000 * life['seconds'] / life['steps']:.0f} ms/step)"
        )
    row(
        "lifecycle nq_hdnd_tinh start -> monitoring (autopilot)",
        cells["sqlite"],
        cells["postgresql"],
    )

    small, large = args.small_large
    cells, verdicts = {}, []
    for b in ("sqlite", "postgresql"):
        s, big = g(f"engine_{small}", b), g(f"engine_{large}", b)
        if s is None or big is None:
            cells[b] = "-"
            continue
        ratio = big / s
        cells[b] = f"{s:.2f} -> {big:.2f} ms = {ratio:.2f}x"
        verdicts.append(
            f"{'SQLite' if b == 'sqlite' else 'PG'} {verdict(ratio <= TARGET_LARGE_SMALL)}"
        )
    row(
        f"engine step, {large}-task vs {small}-task instance",
        cells["sqlite"],
        cells["postgresql"],
        f"<= {TARGET_LARGE_SMALL}x",
        ", ".join(verdicts) or "-",
    )
    s, big = g(f"raw_{small}", "sqlite"), g(f"raw_{large}", "sqlite")
    if s is not None and big is not None:
        row(
            f"  raw SpiffWorkflow, {large}-task vs {small}-task (no database)",
            f"{s:.2f} -> {big:.2f} ms = {big / s:.2f}x",
            "(same)",
        )

    for kind, label in (("engine", "Engine.tasks/count_tasks"), ("page", "HTML page")):
        for size in args.sizes:
            cells = {}
            values = []
            for b in ("sqlite", "postgresql"):
                found = g(f"inbox_{kind}_{size}", b)
                cells[b] = "-" if found is None else f"{found[0]:.1f} ms ({found[1]})"
                if found is not None:
                    values.append((b, found[0]))
            target, met = "-", "-"
            if kind == "page" and size == args.sizes[-1]:
                target = f"<= {TARGET_PAGE_P95_MS:.0f} ms (at 1 M)"
                met = ", ".join(
                    f"{'SQLite' if b == 'sqlite' else 'PG'} {verdict(v <= TARGET_PAGE_P95_MS)}"
                    for b, v in values
                )
                if size < 1_000_000:
                    met += f" (only {size:,} tasks)"
            row(
                f"inbox p95, {label}, {_count(size)} tasks",
                cells["sqlite"],
                cells["postgresql"],
                target,
                met,
            )

    for count in (1, 4):
        cells = {b: g(f"timers_{count}", b) for b in ("sqlite", "postgresql")}
        row(
            f"timers fired per second, {count} runner process(es), {args.timers:,} due",
            "-" if cells["sqlite"] is None else f"{cells['sqlite']:.0f}/s",
            "-" if cells["postgresql"] is None else f"{cells['postgresql']:.0f}/s",
        )

    for workers in (1, 4):
        cells = {}
        pg_rate = None
        for b in ("sqlite", "postgresql"):
            found = g(f"http_rate_{workers}", b)
            if found is None:
                cells[b] = "-"
                continue
            rate, clients, errors = found
            cells[b] = f"{rate:.1f}/s ({clients} clients" + (
                f", {sum(errors.values())} errors)" if errors else ")"
            )
            if b == "postgresql":
                pg_rate = rate
        target, met = "-", "-"
        if workers == 4:
            target = f">= {TARGET_HTTP_RATE_PG_4:.0f}/s on PG, 4 workers, 2 cores"
            met = "-" if pg_rate is None else f"PG {verdict(pg_rate >= TARGET_HTTP_RATE_PG_4)}"
        row(
            f"HTTP completions/s, gunicorn -w {workers} (sync)",
            cells["sqlite"],
            cells["postgresql"],
            target,
            met,
        )
    return rows


def _count(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000} M"
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000} k"
    return f"{size:,}"


# Main --------------------------------------------------------------------------------------------
def run(args: argparse.Namespace, log: TextIO) -> Report:
    report = Report()
    with _main.workdir(args.workdir) as path:
        with into(log):
            backends = _main.Backends(path, use_postgres=not args.no_postgres)

        def run_section(title: str, section: Any) -> None:
            """One section: its tables into the log, its duration on the console."""
            started = time.perf_counter()
            progress(f"{title} ...")
            with into(log):
                _main.heading(f"Report section: {title}")
                section()
            progress(f"{title}: {time.perf_counter() - started:.0f} s")

        try:
            small, large = args.small_large
            sections: list[tuple[str, str, Any]] = [
                (
                    "steps",
                    "steps: raw SpiffWorkflow vs Engine.complete",
                    lambda: section_steps(args, backends, report),
                ),
                (
                    "scale",
                    f"steps in {small}- and {large}-task instances",
                    lambda: section_scale(args, backends, report),
                ),
                (
                    "lifecycle",
                    "lifecycle nq_hdnd_tinh",
                    lambda: section_lifecycle(backends, report),
                ),
                ("timers", "timers", lambda: section_timers(args, backends, report)),
            ]
            for name, title, section in sections:
                if name not in args.skip:
                    run_section(title, section)
            if "web" in args.skip:
                return report
            started = time.perf_counter()
            progress("demo database (both backends in parallel) ...")
            with into(log):
                _main.heading("Report section: the demo database")
                seconds = _web.load_demos(backends)
                print(f"demo loaded in {seconds}")
                users = sorted({*data.INBOX_USERS, *data.COMPLETERS.values()})
                tokens = {
                    b: data.issue_tokens(data.url_of(backends, b, "web_demo"), users)
                    for b in backends.names
                }
            progress(f"demo database: {time.perf_counter() - started:.0f} s")
            web_sections: list[tuple[str, Any]] = [
                ("HTTP step", lambda: section_http_step(args, backends, tokens, report)),
                ("inbox (engine and page)", lambda: section_inbox(args, backends, tokens, report)),
                ("HTTP completions/s", lambda: section_completions(args, backends, tokens, report)),
            ]
            for title, section in web_sections:
                run_section(title, section)
        finally:
            with into(log):
                backends.close()
    return report


def main(argv: list[str] | None = None) -> int:
    import workflows.schema  # noqa: F401  (the domain tables in every migrated database)

    args = parse_args(argv)
    os.environ.setdefault("LEXFLOW_SECRET_KEY", SECRET_KEY)
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    stamp = f"{datetime.now(UTC):%Y%m%d-%H%M%S}"
    log_path = Path(args.log) if args.log else RESULTS / f"report-{stamp}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    print("Lexflow performance report")
    print(f"date: {datetime.now(UTC).isoformat(timespec='seconds')}")
    for key in ("cpu", "cpus_usable", "python", "SpiffWorkflow", "SQLite",
                "load average at start (1/5/15 min)"):  # fmt: skip
        print(f"{key}: {info[key]}")
    print(
        f"sizes: {'quick' if args.quick else 'full'}; inbox bulk tasks "
        f"{', '.join(f'{s:,}' for s in args.sizes)} (+ the demo's); {args.instances} timed "
        f"instances per step variant; {args.repeats} timed inbox calls per query and size; "
        f"{args.timers:,} timers; {args.completions} completions per server"
    )
    print(f"details: {log_path}", flush=True)
    with open(log_path, "w", encoding="utf-8") as log:
        report = run(args, log)
    print()
    print(table(["measure", "SQLite", "PostgreSQL", "target", "met?"], rows_of(report, args)))
    for note in report.notes:
        print(f"NOTE: {note}")
    print(
        f"\nTotal {time.perf_counter() - started:.0f} s; load average at the end "
        f"(1/5/15 min): {load_average()} (includes the benchmark's own servers)."
    )
    before = float(info["load average at start (1/5/15 min)"].split(" / ")[0] or 0)
    if os.cpu_count() and before > 0.75 * (os.cpu_count() or 1):
        print("The machine was busy before the start: expect inflated and noisy figures.")
    if args.save:
        target = RESULTS / f"report-{stamp}.json"
        target.write_text(
            json.dumps({"machine": info, "figures": report.figures}, indent=2, default=str) + "\n",
            encoding="utf-8",
        )
        print(f"Saved {target}")
    return 0
