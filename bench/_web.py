"""Orchestration of the web benchmark: options, databases, inbox latency, completion rate.

See bench/README.md ("Web benchmark") for what every figure means.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import logging
import math
import multiprocessing
import os
import pstats
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from workflows.demo import DEFAULT_PASSWORD

from . import _web_data as data
from ._main import Backends, heading, run_benchmark
from ._support import summarize, table
from ._web_http import SECRET_KEY, Gunicorn, HttpClient, Reply, TestClient, json_body, sign_in

#: (label, path, auth) of the four inbox requests (all GET); auth "session" or "token".
ENDPOINTS = (
    ("page mine", "/inbox?tab=mine", "session"),
    ("page offered", "/inbox?tab=offered", "session"),
    ("api mine", "/api/v1/tasks?view=mine", "token"),
    ("api offered", "/api/v1/tasks?view=offered", "token"),
)


@dataclass(frozen=True)
class CompletionConfig:
    backend: str
    workers: int
    threads: int
    clients: int

    @property
    def label(self) -> str:
        kind = f"gthread x{self.threads}" if self.threads > 1 else "sync"
        return f"{self.backend} -w {self.workers} {kind}, {self.clients} clients"


DEFAULT_CONFIGS = (
    CompletionConfig("postgresql", 1, 1, 1),
    CompletionConfig("postgresql", 1, 1, 4),
    CompletionConfig("postgresql", 4, 1, 8),
    CompletionConfig("postgresql", 4, 2, 8),
    CompletionConfig("sqlite", 1, 1, 4),
    CompletionConfig("sqlite", 4, 1, 8),
)
QUICK_CONFIGS = (
    CompletionConfig("postgresql", 1, 1, 4),
    CompletionConfig("postgresql", 4, 1, 8),
    CompletionConfig("sqlite", 1, 1, 4),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/web.py",
        description="Lexflow web benchmark (prints figures; never fails on timing).",
    )
    parser.add_argument("--quick", action="store_true", help="short smoke run (< 90 s)")
    parser.add_argument(
        "--instances", type=int, default=None, help="bulk process instances (100000)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed requests per request kind and data set (200)",
    )
    parser.add_argument(
        "--completions", type=int, default=None, help="timed completions per configuration (800)"
    )
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--skip-latency", action="store_true", help="skip the inbox latency")
    parser.add_argument("--skip-complete", action="store_true", help="skip completion rate")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the inbox page, the task list and a completion (test client)",
    )
    parser.add_argument("--save", action="store_true", help="write bench/results/web-*.json")
    parser.add_argument("--workdir", default=None, help="SQLite files and server logs (temp)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.instances = args.instances if args.instances is not None else (1000 if quick else 100_000)
    args.repeats = args.repeats or (10 if quick else 200)
    args.completions = args.completions or (60 if quick else 800)
    args.configs = QUICK_CONFIGS if quick else DEFAULT_CONFIGS
    args.warmup_rounds = 1 if quick else 2
    return args


# Setup -------------------------------------------------------------------------------------------
@dataclass
class Dataset:
    backend: str
    name: str  # "demo" or "100k"
    url: str
    counts: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0
    load_seconds: float = 0.0


def bulk_name(instances: int) -> str:
    return f"{instances // 1000}k" if instances >= 1000 else str(instances)


def load_demos(backends: Backends) -> dict[str, float]:
    """The demo province in ``web_demo`` on every backend, loaded in parallel processes."""
    urls = {}
    for backend in backends.names:
        db = backends.database(backend, "web_demo")  # new, migrated
        db.dispose()
        urls[backend] = data.url_of(backends, backend, "web_demo")
    now = datetime.now(UTC).isoformat()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(urls), mp_context=context) as pool:
        futures = {b: pool.submit(data.load_demo_into, url, now) for b, url in urls.items()}
        return {backend: future.result() for backend, future in futures.items()}


# Inbox latency -----------------------------------------------------------------------------------
@dataclass
class Latency:
    backend: str
    dataset: str
    via: str  # "HTTP gunicorn -w 1 (sync)" or "test client"
    endpoint: str
    stats: dict[str, float]
    rows: float  # mean task rows in the response
    total: float  # mean total (API) or tab badge (page)
    bytes: float
    sql: float = math.nan  # statements per request (test client only)
    sql_ms: float = math.nan  # time inside cursor.execute per request (test client only)
    connects: int = 0  # TCP connections opened (HTTP only) ...
    requests: int = 0  # ... for this many requests (all kinds, sign-in and warm-up included)


class SqlMeter:
    """Counts statements and time spent in ``cursor.execute`` on one SQLAlchemy engine."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements = 0
        self.ns = 0
        self._started: dict[int, int] = {}

    def _before(self, conn: Any, *args: Any) -> None:
        self._started[id(conn)] = time.perf_counter_ns()

    def _after(self, conn: Any, *args: Any) -> None:
        started = self._started.pop(id(conn), None)
        if started is not None:
            self.ns += time.perf_counter_ns() - started
            self.statements += 1

    @contextmanager
    def measuring(self) -> Iterator[SqlMeter]:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", self._before)
            event.remove(self.engine, "after_cursor_execute", self._after)

    def take(self) -> tuple[int, int]:
        statements, ns = self.statements, self.ns
        self.statements, self.ns = 0, 0
        return statements, ns


def _rows(label: str, tab: str, reply: Reply) -> tuple[int, int]:
    """(task rows shown, total or the tab's badge) of one inbox response."""
    if label.startswith("api"):
        payload = json.loads(reply.body)
        return len(payload["items"]), int(payload["total"])
    badge = re.search(
        rb'data-tab="' + tab.encode() + rb'">[^<]*<span class="count">([0-9]+)(\+?)<', reply.body
    )
    return reply.body.count(b"data-task-id="), int(badge.group(1)) if badge else 0


@dataclass
class Side:
    """One way of sending the requests: over HTTP or through the test client."""

    via: str
    make_client: Callable[[], HttpClient | TestClient]
    meter: SqlMeter | None = None
    clients: dict[str, HttpClient | TestClient] = field(default_factory=dict)
    samples: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    requests: int = 0  # every request sent, sign-in and warm-up included


def measure_inbox(
    sides: list[Side],
    tokens: dict[str, str],
    repeats: int,
    warmup_rounds: int,
    endpoints: tuple[tuple[str, str, str], ...] = ENDPOINTS,
) -> None:
    """``repeats`` timed requests per endpoint and side, spread over the measured users.

    Users, endpoints and sides take turns request by request (the side going first
    alternates), so a slow phase of the machine hits HTTP and test client alike.
    """
    users = list(data.INBOX_USERS)
    for username in users:
        # One real sign-in per user (argon2 takes ~0.1-0.3 s); the other side gets the same
        # session cookie (same secret key, same database).
        first = sides[0].make_client()
        sign_in(first, username, DEFAULT_PASSWORD)
        sides[0].clients[username] = first
        sides[0].requests += 2
        for side in sides[1:]:
            side.clients[username] = side.make_client()
            side.clients[username].adopt(first.cookies)
    for side in sides:
        side.samples = {
            label: {"ns": [], "rows": [], "total": [], "bytes": [], "sql": [], "sql_ns": []}
            for label, _, _ in endpoints
        }
    rounds = math.ceil(repeats / len(users))
    for round_number in range(warmup_rounds + rounds):
        timed = round_number >= warmup_rounds
        for user_number, username in enumerate(users):
            for label, path, auth in endpoints:
                headers = {"Authorization": f"Bearer {tokens[username]}"} if auth == "token" else {}
                order = sides if (round_number + user_number) % 2 == 0 else sides[::-1]
                for side in order:
                    if side.meter is not None:
                        side.meter.take()
                    started = time.perf_counter_ns()
                    reply = side.clients[username].request("GET", path, headers)
                    elapsed = time.perf_counter_ns() - started
                    side.requests += 1
                    if reply.status != 200:
                        raise RuntimeError(f"{label} for {username}: HTTP {reply.status}")
                    if not timed:
                        continue
                    shown, total = _rows(label, path.rsplit("=", 1)[-1], reply)
                    bucket = side.samples[label]
                    bucket["ns"].append(elapsed)
                    bucket["rows"].append(shown)
                    bucket["total"].append(total)
                    bucket["bytes"].append(len(reply.body))
                    if side.meter is not None:
                        statements, ns = side.meter.take()
                        bucket["sql"].append(statements)
                        bucket["sql_ns"].append(ns)
    for side in sides:
        for client in side.clients.values():
            client.close()


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _latencies(dataset: Dataset, side: Side) -> list[Latency]:
    connects = sum(c.connects for c in side.clients.values())
    out = []
    for label, bucket in side.samples.items():
        out.append(
            Latency(
                backend=dataset.backend,
                dataset=dataset.name,
                via=side.via,
                endpoint=label,
                stats=summarize(bucket["ns"]),
                rows=_mean(bucket["rows"]),
                total=_mean(bucket["total"]),
                bytes=_mean(bucket["bytes"]),
                sql=_mean(bucket["sql"]),
                sql_ms=_mean(bucket["sql_ns"]) / 1e6 if bucket["sql_ns"] else math.nan,
                connects=connects,
                requests=side.requests,
            )
        )
    return out


@contextmanager
def test_app(url: str) -> Iterator[Any]:
    from web import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "SCHEDULER_ENABLED": False})
    try:
        yield app
    finally:
        app.extensions["lexflow"].db.dispose()


def latency_for(
    dataset: Dataset, tokens: dict[str, str], repeats: int, warmup_rounds: int, logs: Path
) -> list[Latency]:
    with (
        Gunicorn(dataset.url, 1, 1, logs / f"gunicorn-{dataset.backend}.log") as server,
        test_app(dataset.url) as app,
    ):
        server.warm_all_workers(
            "/api/v1/tasks?view=offered", {"Authorization": f"Bearer {tokens['cv.sxd']}"}
        )
        meter = SqlMeter(app.extensions["lexflow"].db.engine)
        sides = [
            Side(f"HTTP {server.label}", lambda: HttpClient(server.port)),
            Side("test client", lambda: TestClient(app), meter),
        ]
        with meter.measuring():
            measure_inbox(sides, tokens, repeats, warmup_rounds)
    return [result for side in sides for result in _latencies(dataset, side)]


def print_latency(results: list[Latency]) -> None:
    rows = []
    for r in results:
        rows.append(
            [
                r.backend,
                r.dataset,
                r.endpoint,
                "HTTP" if r.via.startswith("HTTP") else "test client",
                r.stats["n"],
                r.stats["p50"],
                r.stats["p95"],
                r.stats["mean"],
                r.stats["max"],
                r.rows,
                r.total,
                round(r.bytes),
                r.sql,
                r.sql_ms,
            ]
        )
    print(
        table(
            [
                "backend",
                "data",
                "request",
                "via",
                "n",
                "p50",
                "p95",
                "mean",
                "max",
                "rows",
                "total",
                "bytes",
                "SQL/req",
                "SQL ms",
            ],
            rows,
        )
    )
    print()
    print("Server overhead: HTTP minus test client (gunicorn, loopback TCP, HTTP parsing, WSGI);")
    overhead = []
    keys = sorted({(r.backend, r.dataset, r.endpoint) for r in results}, key=str)
    for backend, dataset, endpoint in keys:
        pair = {
            r.via.startswith("HTTP"): r
            for r in results
            if (r.backend, r.dataset, r.endpoint) == (backend, dataset, endpoint)
        }
        if True in pair and False in pair:
            http, tc = pair[True], pair[False]
            overhead.append(
                [
                    backend,
                    dataset,
                    endpoint,
                    http.stats["p50"] - tc.stats["p50"],
                    http.stats["p95"] - tc.stats["p95"],
                    http.stats["mean"] - tc.stats["mean"],
                    f"{http.connects}/{http.requests}",
                ]
            )
    print(
        table(
            ["backend", "data", "request", "p50 diff", "p95 diff", "mean diff", "connects/req"],
            overhead,
        )
    )
    print(
        "connects/req: TCP connections the HTTP client opened / requests it sent (a sync "
        "worker closes the connection after every response, so keep-alive never applies)."
    )


# Completion throughput ---------------------------------------------------------------------------
@dataclass
class Throughput:
    config: CompletionConfig
    completed: int
    seconds: float
    stats: dict[str, float]
    statuses: dict[str, int]
    errors: dict[str, int]  # "409 database is locked" etc. -> count
    outcome: dict[str, Any]
    warmup: int = 0  # untimed completions sent first

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else math.nan


def _error_kind(reply: Reply) -> str:
    try:
        message = str(json.loads(reply.body).get("message") or reply.body[:80])
    except (ValueError, AttributeError):
        message = reply.body[:80].decode(errors="replace")
    if "busy" in message.lower() or "locked" in message.lower():
        message = "database is busy/locked"
    return f"{reply.status} {message[:60]}"


def drive(
    port: int, tasks: list[data.Completable], tokens: dict[str, str], clients: int
) -> tuple[list[tuple[int, int, Reply]], float]:
    """Complete ``tasks`` with ``clients`` threads; client k owns tasks[k::clients], so no
    two clients ever send the same task. Returns ((start ns, end ns, reply)...), seconds."""
    header, body = json_body(data.REPLY_BODY)
    results: list[list[tuple[int, int, Reply]]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def work(k: int) -> None:
        client = HttpClient(port)
        mine = tasks[k::clients]
        barrier.wait()
        for task in mine:
            started = time.perf_counter_ns()
            try:
                reply = client.request(
                    "POST",
                    f"/api/v1/tasks/{task.task_id}/complete",
                    {**header, "Authorization": f"Bearer {tokens[task.username]}"},
                    body,
                )
            except (OSError, http.client.HTTPException) as exc:  # counted, not fatal
                client.close()
                reply = Reply(0, json.dumps({"message": f"{type(exc).__name__}"}).encode())
            results[k].append((started, time.perf_counter_ns(), reply))
        client.close()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    flat = [item for part in results for item in part]
    if not flat:
        return [], 0.0
    seconds = (max(e for _, e, _ in flat) - min(s for s, _, _ in flat)) / 1e9
    return flat, seconds


def run_config(
    config: CompletionConfig,
    url: str,
    tasks: list[data.Completable],
    warmup: list[data.Completable],
    tokens: dict[str, str],
    logs: Path,
) -> Throughput:
    log = logs / f"gunicorn-complete-{config.backend}-{config.workers}-{config.threads}.log"
    with Gunicorn(url, config.workers, config.threads, log) as server:
        # Untimed: every worker loads the model's spec once (the per-process spec cache).
        warm, _ = drive(server.port, warmup, tokens, config.workers * config.threads * 2)
        flat, seconds = drive(server.port, tasks, tokens, config.clients)
    ok = [(s, e) for s, e, r in flat if r.status == 200]
    statuses = Counter(str(r.status) for _, _, r in flat)
    errors = Counter(_error_kind(r) for _, _, r in flat if r.status != 200)
    return Throughput(
        config=config,
        completed=len(ok),
        seconds=seconds,
        stats=summarize([e - s for s, e, _ in flat]),
        statuses=dict(statuses),
        errors=dict(errors),
        outcome=data.completion_outcome(url),
        warmup=sum(1 for _, _, r in warm if r.status == 200),
    )


def section_complete(
    args: argparse.Namespace,
    backends: Backends,
    tokens: dict[str, dict[str, str]],
    out: dict[str, Any],
) -> None:
    heading("(2) Task completion through HTTP: POST /api/v1/tasks/{id}/complete")
    configs = [c for c in args.configs if c.backend in backends.names]
    warm = max(c.workers * c.threads * 2 for c in configs) * 2
    print(
        f"Each configuration gets its own copy of the demo database plus {args.completions} "
        f"open 'Góp ý dự thảo' tasks (+{warm} for warm-up) of a 2-step model (reply with the "
        "real consultation_reply.json form and a deadline-rule due date, then a review task "
        "for the head): each POST validates the form, runs the step, creates the review "
        "task and appends to the audit chain. 8 specialists (cv.<department>) complete their "
        "own department's tasks with Bearer tokens; client k owns tasks k, k+K, ... (no task "
        "is sent twice). Warm-up requests first (untimed), then all clients start together."
    )
    results: list[Throughput] = []
    for backend in backends.names:
        template = "web_done"
        url = data.clone(backends, backend, "web_demo", template)
        started = time.perf_counter()
        prepared = data.prepare_completions(url, args.completions + warm)
        print(
            f"{backend}: {len(prepared)} instances started through the engine in "
            f"{time.perf_counter() - started:.1f} s"
        )
        warmup, timed = prepared[:warm], prepared[warm:]
        for number, config in enumerate(c for c in configs if c.backend == backend):
            copy = data.clone(backends, backend, template, f"web_done_{number}")
            result = run_config(
                config,
                copy,
                timed,
                warmup[: config.workers * config.threads * 4],
                tokens[backend],
                backends.workdir,
            )
            results.append(result)
            error_text = ", ".join(f"{k}: {v}" for k, v in result.errors.items()) or "none"
            print(
                f"  {config.label}: {result.completed}/{len(timed)} completed in "
                f"{result.seconds:.1f} s = {result.rate:.1f}/s; errors: {error_text}"
            )
    print()
    print(
        table(
            ["configuration", "ok", "seconds", "req/s", "p50", "p95", "mean", "max", "errors"],
            [
                [
                    r.config.label,
                    r.completed,
                    r.seconds,
                    r.rate,
                    r.stats["p50"],
                    r.stats["p95"],
                    r.stats["mean"],
                    r.stats["max"],
                    sum(r.errors.values()),
                ]
                for r in results
            ],
        )
    )
    print("Latency: ms per POST as the client sees it (queueing included).")
    print("Database afterwards (every 200 must have completed its reply and opened a review):")
    for r in results:
        completed = r.outcome.get("Task_bw_reply:completed", 0)
        reviews = r.outcome.get("Task_bw_review:open", 0)
        expected = r.completed + r.warmup
        verdict = "consistent" if completed == reviews == expected else "INCONSISTENT"
        print(
            f"  {r.config.label}: replies completed {completed:,} (timed {r.completed:,} + "
            f"warm-up {r.warmup}), review tasks opened {reviews:,}: {verdict}"
        )
    out["complete"] = [
        {**asdict(r), "config": asdict(r.config), "rate": r.rate, "label": r.config.label}
        for r in results
    ]


# Profile -----------------------------------------------------------------------------------------
#: Parts of a request worth naming: (label, path fragment, function). Cumulative times
#: overlap (SQL runs inside the engine calls, which run inside the view).
PROFILE_PARTS = (
    ("whole request (WSGI app)", "flask/app.py", "wsgi_app"),
    ("  authentication (before_request)", "web/auth.py", "load_current_user"),
    ("    token lookup (read only)", "workflows/accounts.py", "user_for_token"),
    ("    token use recorded (a write, every 5 min)", "workflows/accounts.py", "record_token_use"),
    ("  Engine.count_tasks", "engine/core.py", "count_tasks"),
    ("  Engine.tasks", "engine/core.py", "tasks"),
    ("  Engine.complete", "engine/core.py", "complete"),
    ("    restore workflow (load_state)", "engine/serialization.py", "load_state"),
    ("    run the step (complete_user_task)", "engine/runtime.py", "complete_user_task"),
    ("    save (state, projection, audit)", "engine/persistence.py", "save"),
    ("    form validation", "engine/tasks.py", "_validate_form"),
    ("  render_template (Jinja)", "flask/templating.py", "render_template"),
    ("    gettext calls", "flask_babel/__init__.py", "gettext"),
    ("  JSON response (jsonify)", "flask/json/__init__.py", "jsonify"),
    ("  SQL: cursor.execute (all)", "sqlalchemy/engine/default.py", "do_execute"),
)


def section_profile(url: str, tokens: dict[str, str], completable: list[data.Completable]) -> None:
    heading("Profile (test client, cProfile): where one request spends its time")
    print(
        "30 requests each (after 5 untimed) through the test client on the profile database "
        "(a copy of the largest data set, plus 40 reply tasks), user cv.sxd. cProfile roughly "
        "doubles Python-heavy code; read the shares, not the absolute numbers."
    )
    header, body = json_body(data.REPLY_BODY)
    with test_app(url) as app:
        client = TestClient(app)
        sign_in(client, "cv.sxd", DEFAULT_PASSWORD)
        auth = {"Authorization": f"Bearer {tokens['cv.sxd']}"}
        tasks = iter(completable)

        def complete(c: TestClient) -> Reply:
            task = next(tasks)
            return c.request(
                "POST",
                f"/api/v1/tasks/{task.task_id}/complete",
                {**header, "Authorization": f"Bearer {tokens[task.username]}"},
                body,
            )

        requests: list[tuple[str, Callable[[TestClient], Reply]]] = [
            ("GET /inbox?tab=offered", lambda c: c.request("GET", "/inbox?tab=offered")),
            ("GET /api/v1/tasks?view=offered", lambda c: c.request("GET", _OFFERED, auth)),
            ("POST /api/v1/tasks/{id}/complete", complete),
        ]
        profiles = []
        for label, call in requests:
            for _ in range(5):
                call(client)
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(30):
                reply = call(client)
                if reply.status != 200:
                    raise RuntimeError(f"{label}: HTTP {reply.status}")
            profiler.disable()
            profiles.append((label, pstats.Stats(profiler)))
    rows = []
    for part, fragment, function in PROFILE_PARTS:
        values = [_cumulative(stats, fragment, function) / 30 * 1000 for _, stats in profiles]
        if any(v > 0 for v in values):
            rows.append([part, *[v if v > 0 else "" for v in values]])
    print()
    print("ms per request, cumulative (under cProfile):")
    print(table(["part", *[label for label, _ in profiles]], rows))
    for label, stats in profiles:
        print()
        print(f"-- {label}: top 15 functions by own time --")
        buffer = io.StringIO()
        stats.stream = buffer  # type: ignore[attr-defined]
        stats.strip_dirs().sort_stats("tottime").print_stats(15)
        print(buffer.getvalue().split("\n", 5)[-1].rstrip())


_OFFERED = "/api/v1/tasks?view=offered"


def _cumulative(stats: pstats.Stats, fragment: str, function: str) -> float:
    """Seconds spent in (and under) every function named ``function`` in a file whose path
    ends with ``fragment``."""
    total = 0.0
    for (filename, _line, name), entry in stats.stats.items():  # type: ignore[attr-defined]
        if name == function and filename.replace("\\", "/").endswith(fragment):
            total += entry[3]
    return total


# Summary -----------------------------------------------------------------------------------------
def summary(out: dict[str, Any]) -> None:
    heading("Summary")
    rows: list[list[Any]] = []
    for r in out.get("latency", []):
        if not r["via"].startswith("HTTP"):
            continue
        tc = next(
            (
                x
                for x in out["latency"]
                if not x["via"].startswith("HTTP")
                and (x["backend"], x["dataset"], x["endpoint"])
                == (r["backend"], r["dataset"], r["endpoint"])
            ),
            None,
        )
        rows.append(
            [
                f"{r['endpoint']} ({r['dataset']})",
                r["backend"],
                f"{r['stats']['p50']:.1f} / {r['stats']['p95']:.1f} ms",
                f"{tc['stats']['p50']:.1f} / {tc['stats']['p95']:.1f} ms" if tc else "",
                "",
            ]
        )
    for r in out.get("complete", []):
        errors = sum(r["errors"].values())
        rows.append(
            [
                f"complete, {r['config']['workers']} worker(s)"
                + (f" x{r['config']['threads']} threads" if r["config"]["threads"] > 1 else "")
                + f", {r['config']['clients']} clients",
                r["config"]["backend"],
                f"{r['stats']['p50']:.1f} / {r['stats']['p95']:.1f} ms",
                "",
                f"{r['rate']:.1f} req/s, {errors} errors",
            ]
        )
    print(
        table(
            ["request", "backend", "HTTP p50 / p95", "test client p50 / p95", "throughput"],
            rows,
        )
    )


# Main --------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("LEXFLOW_SECRET_KEY", SECRET_KEY)  # create_app: no key file
    logging.basicConfig(level=logging.WARNING)  # before create_app's INFO basicConfig
    return run_benchmark("Lexflow web benchmark", "web", args, run, summary)


def run(args: argparse.Namespace, backends: Backends, out: dict[str, Any]) -> None:
    heading("Data")
    seconds = load_demos(backends)
    users = sorted({*data.INBOX_USERS, *data.COMPLETERS.values()})
    tokens: dict[str, dict[str, str]] = {}
    datasets: list[Dataset] = []
    for backend in backends.names:
        url = data.url_of(backends, backend, "web_demo")
        # Issued before the demo database is copied: valid in every copy.
        tokens[backend] = data.issue_tokens(url, users)
        datasets.append(Dataset(backend, "demo", url, load_seconds=seconds[backend]))
        if not args.skip_latency:
            bulk_url = data.clone(backends, backend, "web_demo", "web_bulk")
            bulk = Dataset(backend, bulk_name(args.instances), bulk_url)
            bulk.load_seconds = data.bulk_load(
                backend,
                bulk_url,
                data.sqlite_path(backends, "web_bulk"),
                args.instances,
                args.seed,
            )
            datasets.append(bulk)
    print_data(args, datasets)
    out["data"] = [asdict(d) for d in datasets]

    if not args.skip_latency:
        out["latency"] = section_latency(args, datasets, tokens, backends.workdir)
    if not args.skip_complete:
        section_complete(args, backends, tokens, out)
    if args.profile:
        backend = "postgresql" if "postgresql" in backends.names else "sqlite"
        source = "web_demo" if args.skip_latency else "web_bulk"
        url = data.clone(backends, backend, source, "web_profile")
        section_profile(url, tokens[backend], data.prepare_completions(url, 40))


def print_data(args: argparse.Namespace, datasets: list[Dataset]) -> None:
    for dataset in datasets:
        dataset.counts = data.task_counts(dataset.url)
        dataset.size_bytes = data.db_size(dataset.url)
    print(
        "demo: workflows.demo.load_demo (the real processes walked by the autopilot; both "
        "backends loaded in parallel processes). "
        f"{bulk_name(args.instances)}: a copy of the demo plus {args.instances:,} instances "
        "x 20 human tasks bulk-loaded by bench/_inbox.py (COPY / executemany, then ANALYZE) "
        "with the demo's roles, organisations and users (the measured users' grants carry "
        "the most work; assignees are the demo users and invented colleagues, 5,000 in all)."
    )
    print(
        table(
            ["backend", "data", "instances", "tasks", "open+claimed", "MB", "load s"],
            [
                [
                    d.backend,
                    d.name,
                    d.counts["instances"],
                    sum(v for k, v in d.counts.items() if k != "instances"),
                    d.counts.get("open", 0) + d.counts.get("claimed", 0),
                    d.size_bytes / 1e6,
                    d.load_seconds,
                ]
                for d in datasets
            ],
        )
    )


def section_latency(
    args: argparse.Namespace,
    datasets: list[Dataset],
    tokens: dict[str, dict[str, str]],
    logs: Path,
) -> list[dict[str, Any]]:
    heading("(1) Inbox latency (ms per request)")
    print(
        f"Users {', '.join(data.INBOX_USERS)} take turns, each making the 4 requests in turn: "
        f"{args.repeats} timed requests per kind and data set, after {args.warmup_rounds} "
        "untimed round(s). Pages signed in through POST /login (CSRF token from the form; "
        "the test client reuses that session cookie), the API with Bearer "
        "tokens. HTTP: one client thread (http.client) against gunicorn -w 1 (sync worker) on "
        "127.0.0.1; test client: the same app in-process, no server. 'rows': tasks listed; "
        "'total': the tab badge (page) or the API total, both capped at 1000; SQL/req and "
        "SQL ms (time inside cursor.execute) come from the test-client run."
    )
    results: list[Latency] = []
    for dataset in datasets:
        started = time.perf_counter()
        results += latency_for(
            dataset, tokens[dataset.backend], args.repeats, args.warmup_rounds, logs
        )
        print(
            f"{dataset.backend} {dataset.name}: measured in {time.perf_counter() - started:.1f} s"
        )
    print()
    print_latency(results)
    return [asdict(r) for r in results]
