"""``lexflow`` entry point: engine commands, domain commands, and the web app itself."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache

import click
from flask import Flask

from engine import Database
from engine.cli import build_cli
from workflows.calendar import VIETNAM_TZ
from workflows.cli import add_domain_commands
from workflows.lifecycle import Lifecycle


@cache
def _lifecycle() -> Lifecycle:
    return Lifecycle(Database())


def _app_or_exit(factory: Callable[[], Flask]) -> Flask:
    """The Flask app, or exit 2 with the sentence of a configuration error."""
    try:
        return factory()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y %H:%M:%S")


def build() -> click.Group:
    cli = build_cli(factory=lambda: _lifecycle().engine)
    add_domain_commands(cli, _lifecycle)

    @cli.command(help="Run the web app and its background jobs (development server).")
    @click.option("--host", default=os.environ.get("LEXFLOW_HOST", "127.0.0.1"), show_default=True)
    @click.option("--port", default=int(os.environ.get("LEXFLOW_PORT", "5000")), show_default=True)
    @click.option("--no-scheduler", is_flag=True, help="Run no background jobs in this process.")
    def run(host: str, port: int, no_scheduler: bool) -> None:
        from web import create_app, refuse_to_serve_with_test_settings, scheduler

        try:
            refuse_to_serve_with_test_settings()
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from None
        app = _app_or_exit(create_app)
        if not no_scheduler:
            scheduler.start(app)
        click.echo(f"Lexflow on http://{host}:{port}/ (Ctrl+C to stop)")
        app.run(host=host, port=port, threaded=True, use_reloader=False)

    @cli.group(
        help="Background jobs: timers, reminders, notification delivery.",
        invoke_without_command=True,
    )
    @click.pass_context
    def scheduler(ctx: click.Context) -> None:
        if ctx.invoked_subcommand is None:
            ctx.invoke(scheduler_run)

    @scheduler.command("run", help="Run the jobs in this process until stopped (no web).")
    def scheduler_run() -> None:
        from web import create_app
        from web.scheduler import build

        app = _app_or_exit(create_app)
        jobs = build(app)
        if app.config["SCHEDULER_MODE"] == "web":
            click.echo(
                "Note: LEXFLOW_SCHEDULER=web, so the web processes run these jobs too "
                "(harmless: each item is claimed once). Set LEXFLOW_SCHEDULER=separate to "
                "leave them to this process.",
                err=True,
            )
        click.echo("Scheduler running: " + ", ".join(j.name for j in jobs.jobs) + " (Ctrl+C)")
        try:
            jobs.run_forever()
        except (KeyboardInterrupt, SystemExit):
            jobs.shutdown()

    @scheduler.command("run-once", help="Run every job once now, then exit.")
    def scheduler_run_once() -> None:
        from web import create_app
        from web.scheduler import build

        outcomes = build(_app_or_exit(create_app)).run_once()
        for outcome in outcomes:
            state = "ok" if outcome.ok else f"FAILED: {outcome.error}"
            click.echo(f"{outcome.name}: {outcome.handled} handled, {state}")
        if not all(outcome.ok for outcome in outcomes):
            raise SystemExit(1)

    @scheduler.command("status", help="Last run, next run, items handled and failures per job.")
    def scheduler_status() -> None:
        from engine.scheduling import job_statuses
        from web import create_app
        from web.scheduler import build

        app = _app_or_exit(create_app)
        jobs = build(app)
        statuses = job_statuses(jobs.db, jobs.jobs)
        click.echo(f"Mode: {app.config['SCHEDULER_MODE']}")
        for status in statuses:
            last = _when(status.last_finished_at or status.last_started_at)
            click.echo(
                f"{status.name:<10} {status.schedule:<14} last: {last:<19} "
                f"status: {status.last_status or 'never run':<9} "
                f"handled: {status.last_handled} (total {status.total_handled}) "
                f"runs: {status.runs} failures: {status.failures} "
                f"next: {_when(status.next_run_at)}"
            )
            if status.last_error:
                click.echo(f"    last error: {status.last_error}")

    return cli


def main(argv: Sequence[str] | None = None) -> None:
    build()(args=argv, prog_name="lexflow")
