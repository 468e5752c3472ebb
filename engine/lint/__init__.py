"""Lint: the rules a model must pass to run in Lexflow, written once and run everywhere.

This package owns the *Lexflow rules* (ids ``lexflow/...``): every user task has a lane with
a known role, every expression is in the safe language, every service operation and call
target exists, no dead ends, no event that nothing can trigger, no call cycles. The same
:func:`~engine.lint.runner.lint_upload` runs on every deploy (page, API, CLI: errors refuse,
warnings do not) and behind the lint-only endpoint the browser modeler calls as its owner
edits. Rules are plain functions in a :class:`~engine.lint.registry.RuleSet`; what a rule
needs to know about the domain (which roles exist, which deadline rules exist) reaches it
through the :class:`~engine.lint.subject.LintSubject`'s facts or through rules the domain
registers, never by importing the domain.
"""

from __future__ import annotations

from .problems import ERROR, WARNING, LintProblem, Severity
from .registry import Finding, Rule, RuleSet
from .rules_flow import FLOW_RULES
from .rules_refs import REFERENCE_RULES
from .subject import LintSubject


def default_rules() -> RuleSet:
    """Lexflow's generic rules, in the order their problems are listed."""
    return RuleSet([*REFERENCE_RULES, *FLOW_RULES])


__all__ = [
    "ERROR",
    "WARNING",
    "Finding",
    "LintProblem",
    "LintSubject",
    "Rule",
    "RuleSet",
    "Severity",
    "default_rules",
]
