"""Domain commands for ``lexflow``: demo data, models, users, drafts (suspend, resume,
cancel), calendar, deadline rules, plan."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path

import click
from sqlalchemy import select

from engine import NotFound, clock
from engine.cli import emit_json, emit_table, run_guarded
from workflows import accounts, calendar_store, draft_admin
from workflows.deadlines import DeadlineRule
from workflows.directory import find_user
from workflows.drafts import draft_by_code
from workflows.lifecycle import Lifecycle
from workflows.plan import plan_status

LifecycleFactory = Callable[[], Lifecycle]


def add_domain_commands(cli: click.Group, lifecycle: LifecycleFactory) -> None:
    @cli.command(help="Load the demo province: organisations, users, 30+ drafts, registry, plan.")
    @click.option("--if-empty", is_flag=True, help="Do nothing when users already exist.")
    @click.option(
        "--password", default=None, help="Password for every demo user (default: printed)."
    )
    def demo(if_empty: bool, password: str | None) -> None:
        from workflows.demo import load_demo

        def go() -> None:
            report = load_demo(lifecycle(), if_empty=if_empty, password=password)
            for line in report:
                click.echo(line)

        run_guarded(go)

    @cli.group(help="The lifecycle models in bpmn/.")
    def models() -> None:
        pass

    @models.command("deploy", help="Deploy every model in bpmn/ (unchanged files are no-ops).")
    @click.option("--as", "actor", default="system", show_default=True)
    @click.option("--note", default=None)
    def models_deploy(actor: str, note: str | None) -> None:
        def go() -> None:
            for info in lifecycle().deploy_models(actor, note):
                state = "deployed" if info.created else "unchanged"
                click.echo(f"{info.key} v{info.version} ({info.kind}) {state}")

        run_guarded(go)

    @models.command(
        "lint",
        help="Check BPMN/DMN files (and the JSON forms they name) against the lint rules a "
        "deploy runs, storing nothing. Exit 1 when a problem would refuse the deploy.",
    )
    @click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
    @click.option("--json", "as_json", is_flag=True)
    def models_lint(files: tuple[str, ...], as_json: bool) -> None:
        payload = [(Path(f).name, Path(f).read_bytes()) for f in files]
        problems = lifecycle().engine.lint(payload)
        if as_json:
            emit_json([{**asdict(p), "message": str(p.message)} for p in problems])
        else:
            for problem in problems:
                click.echo(f"{problem.severity}: {problem}")
        errors = sum(1 for p in problems if p.is_error)
        if errors:
            click.echo(
                f"{errors} error(s), {len(problems) - errors} warning(s): "
                "a deploy would refuse these files.",
                err=True,
            )
            sys.exit(1)
        if not as_json:
            click.echo(f"No errors ({len(problems)} warning(s)).")

    @cli.group(help="Users and their roles.")
    def users() -> None:
        pass

    @users.command("create", help="Create a user; --grant ROLE@ORG can repeat.")
    @click.argument("username")
    @click.option("--name", "full_name", required=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--grant", "grants", multiple=True, help="ROLE@ORGANISATION")
    def users_create(username: str, full_name: str, password: str, grants: tuple[str, ...]) -> None:
        parsed = []
        for grant in grants:
            role, _, org = grant.partition("@")
            if not org:
                raise click.BadParameter(
                    f"'{grant}' is not ROLE@ORGANISATION", param_hint="--grant"
                )
            parsed.append((role, org))

        def go() -> None:
            with lifecycle().db.write() as session:
                user = accounts.create_user(session, username, full_name, password, parsed)
                click.echo(f"Created {user.username}.")

        run_guarded(go)

    @users.command("grant", help="Give USER the role ROLE in ORGANISATION.")
    @click.argument("username")
    @click.argument("grant")
    def users_grant(username: str, grant: str) -> None:
        role, _, org = grant.partition("@")

        def go() -> None:
            with lifecycle().db.write() as session:
                user = find_user(session, username)
                if user is None:
                    raise click.ClickException(f"no user '{username}'")
                accounts.grant_role(session, user, role, org)
                click.echo(f"{username} now holds {role} in {org}.")

        run_guarded(go)

    @cli.group(help="Drafts: an administrator suspends, resumes or cancels one.")
    def drafts() -> None:
        pass

    def administer(
        code: str, actor: str, reason: str | None, operation: draft_admin.Operation
    ) -> None:
        def go() -> None:
            life = lifecycle()
            with life.db.write() as session:
                draft = draft_by_code(session, code)
                if draft is None:
                    raise NotFound(f"no draft {code}")
                operation(session, life.engine, life.engine.actor(actor), draft, reason)
                click.echo(f"{draft.code}: {draft.status} (stage {draft.stage}).")

        run_guarded(go)

    @drafts.command("suspend", help="Put draft CODE on hold until it is resumed.")
    @click.argument("code")
    @click.option("--reason", required=True, help="Why (5 to 2000 characters; audited).")
    @click.option("--as", "actor", required=True, help="An administrator.")
    def drafts_suspend(code: str, reason: str, actor: str) -> None:
        administer(code, actor, reason, draft_admin.suspend_draft)

    @drafts.command("resume", help="Let work on the suspended draft CODE continue.")
    @click.argument("code")
    @click.option("--reason", default=None, help="Why (optional; audited).")
    @click.option("--as", "actor", required=True, help="An administrator.")
    def drafts_resume(code: str, reason: str | None, actor: str) -> None:
        administer(code, actor, reason, draft_admin.resume_draft)

    @drafts.command("cancel", help="Cancel draft CODE for good (its open steps close).")
    @click.argument("code")
    @click.option("--reason", required=True, help="Why (5 to 2000 characters; audited).")
    @click.option("--as", "actor", required=True, help="An administrator.")
    def drafts_cancel(code: str, reason: str, actor: str) -> None:
        administer(code, actor, reason, draft_admin.cancel_draft)

    @cli.group(help="Working-day calendar exceptions (days off, working weekend days).")
    def calendar() -> None:
        pass

    @calendar.command("set", help="KIND is 'off' or 'work'.")
    @click.argument("day", type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]))
    @click.argument("kind", type=click.Choice(["off", "work"]))
    @click.argument("name")
    @click.option("--as", "actor", default="admin")
    def calendar_set(day: date, kind: str, name: str, actor: str) -> None:
        def go() -> None:
            with lifecycle().db.write() as session:
                calendar_store.set_day(session, day.date(), kind, name, actor)  # type: ignore[attr-defined]
            click.echo(f"{day:%d/%m/%Y}: {kind} ({name})")

        run_guarded(go)

    @calendar.command("days-off", help="Days off (not weekends) of a year.")
    @click.argument("year", type=int)
    def calendar_days_off(year: int) -> None:
        cal = lifecycle().calendar()
        for day, name in sorted(cal.days_off(year).items()):
            click.echo(f"{day:%d/%m/%Y}  {name}")
        for day in cal.working_weekend_days(year):
            click.echo(f"{day:%d/%m/%Y}  (làm việc / working day)")

    @cli.group(help="Deadline rules (statutory time limits as data).")
    def rules() -> None:
        pass

    @rules.command("list")
    @click.option("--json", "as_json", is_flag=True)
    def rules_list(as_json: bool) -> None:
        with lifecycle().db.read() as session:
            rows = session.execute(
                select(DeadlineRule).order_by(DeadlineRule.step, DeadlineRule.document_type)
            ).scalars()
            table = [
                {
                    "id": r.id,
                    "document_type": r.document_type,
                    "procedure": r.procedure,
                    "step": r.step,
                    "amount": r.amount,
                    "unit": r.unit,
                    "from": r.effective_from.isoformat(),
                    "confirmed": r.confirmed,
                    "basis": r.legal_basis,
                }
                for r in rows
            ]
        if as_json:
            emit_json(table)
        else:
            emit_table(
                table,
                ["id", "step", "document_type", "procedure", "amount", "unit", "from", "confirmed"],
            )

    @cli.group(help="The annual plan.")
    def plan() -> None:
        pass

    @plan.command("status", help="Each plan item of YEAR: not started / on track / behind / done.")
    @click.argument("year", type=int, default=lambda: clock.now().year)
    @click.option("--json", "as_json", is_flag=True)
    def plan_status_cmd(year: int, as_json: bool) -> None:
        with lifecycle().db.read() as session:
            rows = [
                {
                    "item": s.item.id,
                    "title": s.item.title,
                    "lead_agency": s.item.lead_agency,
                    "draft": s.draft.code if s.draft else None,
                    "state": s.state,
                    "reason": s.reason,
                }
                for s in plan_status(session, year)
            ]
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            emit_table(rows, ["item", "state", "draft", "lead_agency", "title", "reason"])
            behind = sum(1 for r in rows if r["state"] == "behind")
            click.echo(f"{behind} of {len(rows)} items are behind plan.")
