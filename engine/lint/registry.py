"""Rules as data: an id, a severity and a function from a subject to findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .problems import ERROR, LintProblem, Severity
from .subject import LintSubject


@dataclass(frozen=True)
class Finding:
    """One thing a rule found; ``severity`` overrides the rule's own when given."""

    element_id: str | None
    message: str
    severity: Severity | None = None


Check = Callable[[LintSubject], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A lint rule. ``id`` is stable (``lexflow/role-known``): editors and tests key on it."""

    id: str
    check: Check
    severity: Severity = ERROR


class RuleSet:
    """The rules one engine runs; the domain adds its own with :meth:`add`."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            self.add(rule)

    def add(self, rule: Rule) -> Rule:
        if rule.id in self._rules and self._rules[rule.id] is not rule:
            raise ValueError(f"a lint rule '{rule.id}' is already registered")
        self._rules[rule.id] = rule
        return rule

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def ids(self) -> list[str]:
        return list(self._rules)

    def run(self, subject: LintSubject) -> list[LintProblem]:
        """Every problem of every rule, located by file and line, in rule order."""
        problems: list[LintProblem] = []
        lines: dict[str, tuple[int | None, str]] | None = None
        for rule in self:
            for finding in rule.check(subject):
                if lines is None:
                    lines = line_index(subject)
                line, filename = lines.get(finding.element_id or "", (None, None))
                problems.append(
                    LintProblem(
                        rule=rule.id,
                        severity=finding.severity or rule.severity,
                        element_id=finding.element_id,
                        message=finding.message,
                        line=line,
                        filename=filename,
                    )
                )
        return problems


def line_index(subject: LintSubject) -> dict[str, tuple[int | None, str]]:
    """element id -> (line, file), built once: a model may have thousands of problems."""
    index: dict[str, tuple[int | None, str]] = {}
    for document in subject.documents:
        for element in document.root.iter():
            element_id = element.get("id") if isinstance(element.tag, str) else None
            if element_id and element_id not in index:
                index[element_id] = (element.sourceline, document.filename)
    return index
