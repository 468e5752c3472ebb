"""Checking a model without deploying it, and the problems list the modeler shows.

Until the server's lint endpoint (``POST /api/v1/models/lint``) exists, the modeler's check
runs the engine's own deploy validation in a transaction that is always rolled back: what
it reports is exactly what a deployment of that XML would refuse, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from engine import EngineError, ExpressionError
from web.extensions import lifecycle
from web.i18n import localize

MAX_SOURCE = 20_000
DEPLOY_RULE = "lexflow/deploy"


class _RollBack(Exception):
    """Raised inside the dry run's transaction so that the database rolls it back."""


def problems_of(exc: EngineError) -> list[dict[str, Any]]:
    """The refusal of a deployment as the modeler's problems, in the request's language."""
    details = exc.details if isinstance(exc.details, list) else None
    if not details:
        details = [{"element_id": exc.element_id, "message": exc.message}]
    return [
        {
            "rule": DEPLOY_RULE,
            "severity": "error",
            "element_id": item.get("element_id"),
            "message": localize(item.get("message")),
        }
        for item in details
        if isinstance(item, dict)
    ]


def dry_run(
    filename: str, xml: str, actor: str, forms: list[tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    """Deploy ``xml`` (with a draft's ``forms``) and roll back: the problems the deployment
    would refuse (or none)."""
    life = lifecycle()
    try:
        with life.db.write() as session:
            life.engine.deploy([(filename, xml), *(forms or [])], actor, None, session=session)
            raise _RollBack
    except _RollBack:
        return []
    except EngineError as exc:
        return problems_of(exc)


def check_source(kind: str, source: str) -> tuple[bool, str]:
    """Whether an expression (``kind`` "expression") or script parses in the safe language;
    the checker's message (in the request's language) when it does not."""
    evaluator = lifecycle().engine.evaluator
    try:
        if kind == "script":
            evaluator.check_script(source)
        else:
            evaluator.check_expression(source)
    except ExpressionError as exc:
        return False, localize(exc.message)
    return True, ""
