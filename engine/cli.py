"""``lexflow`` command line for operators and scripts.

Exit codes: 0 done, 1 refused (the message says why), 2 usage error. Commands build the
engine lazily through a factory, so the composed application (domain directory, services,
roles) plugs in its own engine while this module stays free of domain code.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from .authorization import StaticDirectory
from .core import Engine
from .database import Database
from .errors import EngineError, NotFound
from .events.cli import add_event_commands
from .schema import upgrade
from .task_queries import TaskQuery

EngineFactory = Callable[[], Engine]


def default_engine() -> Engine:
    """Engine on ``LEXFLOW_DATABASE_URL``; actors from ``LEXFLOW_ACTORS_FILE`` if set."""
    directory = StaticDirectory()
    actors_file = os.environ.get("LEXFLOW_ACTORS_FILE")
    if actors_file:
        directory = StaticDirectory.from_mapping(json.loads(Path(actors_file).read_text()))
    return Engine(Database(), directory=directory)


class CliState:
    def __init__(self, factory: EngineFactory) -> None:
        self.factory = factory
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self.factory()
        return self._engine


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value):
        return asdict(value)  # type: ignore[arg-type]
    return str(value)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, default=_json_default, ensure_ascii=False, indent=2))


def emit_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        click.echo("(none)")
        return
    cells = [[_cell(row.get(col)) for col in columns] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    click.echo("  ".join(col.upper().ljust(w) for col, w in zip(columns, widths, strict=True)))
    for r in cells:
        click.echo("  ".join(value.ljust(w) for value, w in zip(r, widths, strict=True)))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return str(value)


def parse_json_option(value: str | None, name: str) -> dict[str, Any]:
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint=name) from exc
    if not isinstance(parsed, dict):
        raise click.BadParameter("must be a JSON object", param_hint=name)
    return parsed


def run_guarded(fn: Callable[[], None]) -> None:
    """Turn engine refusals into one sentence on stderr and exit code 1."""
    try:
        fn()
    except EngineError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


def build_cli(factory: EngineFactory = default_engine) -> click.Group:
    @click.group(help="Lexflow: BPMN engine for the lifecycle of local legal documents.")
    @click.pass_context
    def cli(ctx: click.Context) -> None:
        ctx.obj = CliState(factory)

    @cli.group(help="Database schema.")
    def db() -> None:
        pass

    @db.command("upgrade", help="Create or upgrade the schema to the newest version.")
    def db_upgrade() -> None:
        database = Database()
        run_guarded(lambda: upgrade(database))
        click.echo(f"Schema is up to date ({_safe_url(database.url)}).")

    @cli.command(help="Deploy BPMN/DMN files (and the JSON form schemas they name).")
    @click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
    @click.option("--as", "actor", default="cli", show_default=True, help="Who deploys.")
    @click.option("--note", default=None, help="Why this version.")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def deploy(
        state: CliState, files: tuple[str, ...], actor: str, note: str | None, as_json: bool
    ) -> None:
        payload = [(Path(f).name, Path(f).read_bytes()) for f in files]

        def go() -> None:
            infos = state.engine.deploy(payload, actor, note)
            if as_json:
                emit_json(infos)
                return
            for info in infos:
                what = "deployed" if info.created else "unchanged"
                if info.redeployed_for:
                    what = f"deployed again (calls {', '.join(info.redeployed_for)})"
                click.echo(f"{info.key} v{info.version} ({info.kind}) {what}  id={info.id}")

        run_guarded(go)

    @cli.command(help="List deployed definitions.")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def definitions(state: CliState, as_json: bool) -> None:
        def go() -> None:
            infos = state.engine.definitions()
            if as_json:
                emit_json(infos)
            else:
                emit_table(
                    [asdict(i) for i in infos],
                    ["id", "key", "kind", "version", "name", "deployed_by", "deployed_at"],
                )

        run_guarded(go)

    @cli.command(help="Start a process instance.")
    @click.argument("key")
    @click.option("--business-key", default=None)
    @click.option("--data", default=None, help="Initial variables as a JSON object.")
    @click.option("--organisation", default=None)
    @click.option("--as", "actor", required=True, help="Who starts it.")
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def start(
        state: CliState,
        key: str,
        business_key: str | None,
        data: str | None,
        organisation: str | None,
        actor: str,
        as_json: bool,
    ) -> None:
        variables = parse_json_option(data, "--data")

        def go() -> None:
            engine = state.engine
            info = engine.start(
                key,
                actor=engine.actor(actor),
                business_key=business_key,
                data=variables,
                organisation=organisation,
            )
            if as_json:
                emit_json(info)
            else:
                click.echo(f"Started instance {info.id} of {info.definition_key} ({info.status}).")

        run_guarded(go)

    @cli.command(help="List process instances.")
    @click.option("--key", default=None)
    @click.option("--status", default=None)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def instances(state: CliState, key: str | None, status: str | None, as_json: bool) -> None:
        def go() -> None:
            infos = state.engine.instances(key=key, status=status)
            if as_json:
                emit_json(infos)
            else:
                emit_table(
                    [asdict(i) for i in infos],
                    [
                        "id",
                        "definition_key",
                        "business_key",
                        "status",
                        "next_timer_at",
                        "updated_at",
                    ],
                )

        run_guarded(go)

    @cli.command(help="List open tasks (all, or those of --user: claimed by or offered to).")
    @click.option("--user", default=None)
    @click.option("--instance", "instance_id", type=int, default=None)
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def tasks(state: CliState, user: str | None, instance_id: int | None, as_json: bool) -> None:
        def go() -> None:
            engine = state.engine
            if user:
                actor = engine.actor(user)
                found = engine.tasks(TaskQuery(assignee=actor.id, limit=500))
                found += engine.tasks(TaskQuery(grants=tuple(actor.grants), limit=500))
            elif instance_id is not None:
                found = engine.tasks(TaskQuery(instance_id=instance_id, limit=500))
            else:
                found = engine.tasks(TaskQuery(limit=500))
            if as_json:
                emit_json(found)
            else:
                emit_table(
                    [asdict(t) for t in found],
                    [
                        "id",
                        "instance_id",
                        "element_id",
                        "title",
                        "role",
                        "organisation",
                        "assignee",
                        "state",
                        "due_at",
                    ],
                )

        run_guarded(go)

    @cli.command(help="Claim a task.")
    @click.argument("task_id")
    @click.option("--as", "actor", required=True)
    @click.pass_obj
    def claim(state: CliState, task_id: str, actor: str) -> None:
        def go() -> None:
            engine = state.engine
            info = engine.claim(task_id, engine.actor(actor))
            click.echo(f"Task {info.id} ({info.title}) claimed by {info.assignee}.")

        run_guarded(go)

    @cli.command(help="Release a claimed task.")
    @click.argument("task_id")
    @click.option("--as", "actor", required=True)
    @click.pass_obj
    def unclaim(state: CliState, task_id: str, actor: str) -> None:
        def go() -> None:
            engine = state.engine
            info = engine.unclaim(task_id, engine.actor(actor))
            click.echo(f"Task {info.id} ({info.title}) released.")

        run_guarded(go)

    @cli.command(help="Complete a task.")
    @click.argument("task_id")
    @click.option("--as", "actor", required=True)
    @click.option("--data", default=None, help="Form data as a JSON object.")
    @click.pass_obj
    def complete(state: CliState, task_id: str, actor: str, data: str | None) -> None:
        submitted = parse_json_option(data, "--data")

        def go() -> None:
            engine = state.engine
            info = engine.complete(task_id, engine.actor(actor), submitted)
            click.echo(f"Task {info.id} ({info.title}) completed.")

        run_guarded(go)

    @cli.group(help="Timers.")
    def timers() -> None:
        pass

    @timers.command("fire", help="Fire every due timer (until none is due).")
    @click.option(
        "--at",
        "at",
        default=None,
        help="Decide what is due as of this ISO date-time (default: now); audit events keep "
        "the real time and record this moment as 'as_of'.",
    )
    @click.option(
        "--limit",
        type=click.IntRange(min=1),
        default=None,
        help="Handle at most this many instances (exit status 3 if timers are still due).",
    )
    @click.pass_obj
    def timers_fire(state: CliState, at: str | None, limit: int | None) -> None:
        moment = None
        if at:
            try:
                moment = datetime.fromisoformat(at)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--at") from exc

        def go() -> None:
            run = state.engine.fire_due_timers(moment, limit=limit)
            click.echo(f"Fired timers of {len(run.fired)} instance(s); {len(run.failed)} failed.")
            for instance_id, error in run.failed.items():
                click.echo(f"  instance {instance_id}: {error}", err=True)
            if run.failed:
                sys.exit(1)
            if run.more_due:
                click.echo(f"Stopped at --limit {limit}: timers are still due.", err=True)
                sys.exit(3)

        run_guarded(go)

    @cli.group(help="Audit log.")
    def audit() -> None:
        pass

    @audit.command("verify", help="Check the hash chain of an instance's audit log.")
    @click.argument("instance_id", type=int)
    @click.pass_obj
    def audit_verify(state: CliState, instance_id: int) -> None:
        def go() -> None:
            report = state.engine.verify_audit(instance_id)
            if report.ok:
                click.echo(
                    f"Audit log of instance {instance_id} is intact ({report.events} events)."
                )
                return
            click.echo(
                f"Audit log of instance {instance_id} was tampered with: {report.problem}", err=True
            )
            sys.exit(1)

        run_guarded(go)

    @cli.command(help="Move an instance to another version of its definition.")
    @click.argument("instance_id", type=int)
    @click.argument("definition_id", type=int)
    @click.option("--as", "actor", required=True)
    @click.option("--dry-run", is_flag=True)
    @click.pass_obj
    def migrate(
        state: CliState, instance_id: int, definition_id: int, actor: str, dry_run: bool
    ) -> None:
        def go() -> None:
            engine = state.engine
            report = engine.migrate(
                instance_id, definition_id, actor=engine.actor(actor), dry_run=dry_run
            )
            emit_json(report.to_json())
            if not report.possible:
                sys.exit(1)

        run_guarded(go)

    add_event_commands(cli, parse_json_option, run_guarded)
    return cli


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv: Sequence[str] | None = None) -> None:
    build_cli()(args=argv, prog_name="lexflow")


__all__ = ["NotFound", "build_cli", "main"]
