"""What lint reports: one problem per rule, element and sentence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True)
class LintProblem:
    """A problem found by ``rule``: errors refuse a deploy, warnings only inform.

    ``message`` is an :class:`engine.Message` (English ``str`` that the web layer translates);
    ``element_id`` is the BPMN element to select in the diagram, when there is one.
    """

    rule: str
    severity: Severity
    element_id: str | None
    message: str
    line: int | None = None
    filename: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = self.element_id or "?"
        if self.filename and self.line:
            where += f" ({self.filename}, line {self.line})"
        elif self.line:
            where += f" (line {self.line})"
        return f"{where}: {self.message} [{self.rule}]"
