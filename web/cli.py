"""``lexflow`` entry point: engine commands, domain commands, and the web app itself."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache

import click

from engine import Database
from engine.cli import build_cli
from workflows.cli import add_domain_commands
from workflows.lifecycle import Lifecycle


@cache
def _lifecycle() -> Lifecycle:
    return Lifecycle(Database())


def build() -> click.Group:
    cli = build_cli(factory=lambda: _lifecycle().engine)
    add_domain_commands(cli, _lifecycle)

    @cli.command(help="Run the web app and the timer scheduler (development server).")
    @click.option("--host", default=os.environ.get("LEXFLOW_HOST", "127.0.0.1"), show_default=True)
    @click.option("--port", default=int(os.environ.get("LEXFLOW_PORT", "5000")), show_default=True)
    @click.option("--no-scheduler", is_flag=True, help="Do not fire timers from this process.")
    def run(host: str, port: int, no_scheduler: bool) -> None:
        from web import create_app, scheduler

        app = create_app()
        if not no_scheduler and app.config["SCHEDULER_ENABLED"]:
            scheduler.start(app)
        click.echo(f"Lexflow on http://{host}:{port}/ (Ctrl+C to stop)")
        app.run(host=host, port=port, threaded=True, use_reloader=False)

    @cli.command(help="Fire due timers and send notifications every few seconds (no web).")
    def scheduler() -> None:
        import time

        from web.scheduler import tick

        lifecycle = _lifecycle()
        interval = int(os.environ.get("LEXFLOW_TIMER_INTERVAL", "30"))
        click.echo(f"Scheduler running every {interval}s (Ctrl+C to stop)")
        while True:
            tick(lifecycle)
            time.sleep(interval)

    return cli


def main(argv: Sequence[str] | None = None) -> None:
    build()(args=argv, prog_name="lexflow")
