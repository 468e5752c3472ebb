"""``lexflow messages send`` and ``lexflow signals broadcast``.

Added to the engine's command group by :func:`engine.cli.build_cli`, which hands over its
JSON-option parser and its refusal guard (exit 1 with one sentence) so the commands behave
like every other one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .delivery import Delivery


def _say(delivery: Delivery) -> None:
    what = f"{delivery.kind.capitalize()} '{delivery.name}'"
    if delivery.received:
        click.echo(f"{what} received by instance(s) {', '.join(map(str, delivery.received))}.")
    if delivery.started:
        click.echo(f"{what} started instance(s) {', '.join(map(str, delivery.started))}.")
    for instance_id, problem in delivery.failed.items():
        click.echo(f"Instance {instance_id} could not take it: {problem}", err=True)


def add_event_commands(
    cli: click.Group,
    parse_json: Callable[[str | None, str], dict[str, Any]],
    guarded: Callable[[Callable[[], None]], None],
) -> None:
    @cli.group(help="Messages for the processes waiting for them.")
    def messages() -> None:
        pass

    @messages.command("send", help="Deliver a message, correlated by its key (business key).")
    @click.argument("name")
    @click.option("--key", default=None, help="Business key of the instance it is for.")
    @click.option("--data", default=None, help="The message's data as a JSON object.")
    @click.option("--as", "actor", required=True, help="Who sends it.")
    @click.pass_obj
    def messages_send(state: Any, name: str, key: str | None, data: str | None, actor: str) -> None:
        payload = parse_json(data, "--data")

        def go() -> None:
            engine = state.engine
            _say(
                engine.deliver_message(
                    name, correlation_key=key, payload=payload, actor=engine.actor(actor)
                )
            )

        guarded(go)

    @cli.group(help="Signals for every process waiting for them.")
    def signals() -> None:
        pass

    @signals.command("broadcast", help="Give a signal to every instance waiting for it.")
    @click.argument("name")
    @click.option("--data", default=None, help="The signal's data as a JSON object.")
    @click.option("--as", "actor", required=True, help="Who sends it.")
    @click.pass_obj
    def signals_broadcast(state: Any, name: str, data: str | None, actor: str) -> None:
        payload = parse_json(data, "--data")

        def go() -> None:
            engine = state.engine
            _say(engine.broadcast_signal(name, payload=payload, actor=engine.actor(actor)))

        guarded(go)
