"""One upload, checked: the lint rules, then SpiffWorkflow's parse and the spec checks.

:func:`check_upload` is what every deploy runs before it stores anything and what the
lint-only endpoint runs on a diagram being edited, so both give the same answer. In a
deploy (``tolerant=False``) a file that cannot be read at all (not XML, a DTD, too large)
still refuses at once, as before; lint (``tolerant=True``) turns that into a problem too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from ..bundle import Bundle, latest_row
from ..context import EngineContext
from ..errors import DeploymentError
from ..specs import UserTaskInfo, describe_user_tasks
from ..validation import check_process_specs
from ..xmlsafety import ParsedDocument
from . import model
from .problems import ERROR, LintProblem
from .subject import LintSubject

Upload = Sequence[tuple[str, bytes | str]]


@dataclass
class BuiltProcess:
    """An uploaded process SpiffWorkflow could parse, ready to be stored."""

    process_id: str
    document: ParsedDocument
    name: str | None
    spec: Any
    subprocess_specs: dict[str, Any]
    user_tasks: dict[tuple[str, str], UserTaskInfo]


@dataclass
class CheckedUpload:
    bundle: Bundle
    problems: list[LintProblem] = field(default_factory=list)
    built: list[BuiltProcess] = field(default_factory=list)
    #: ``kind:key`` -> id of each deployed definition the upload was resolved against.
    used: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[LintProblem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[LintProblem]:
        return [p for p in self.problems if not p.is_error]


def subject_for(ctx: EngineContext, session: Session, documents: list[ParsedDocument]) -> Any:
    """A lint subject whose facts come from the engine's context and this session."""

    def deployed_calls(key: str) -> frozenset[str]:
        """What the newest version calls directly (``calls``; older rows: ``called``, every
        process it calls through others, which finds the same cycles)."""
        row = latest_row(session, key, "bpmn")
        dependencies = (row.dependencies or {}) if row is not None else {}
        return frozenset(dependencies.get("calls", dependencies.get("called")) or ())

    return LintSubject(
        documents=documents,
        evaluator=ctx.evaluator,
        services=ctx.services,
        role_known=lambda role: ctx.knows_role(session, role),
        process_deployed=lambda key: latest_row(session, key, "bpmn") is not None,
        deployed_calls=deployed_calls,
        decision_deployed=lambda key: latest_row(session, key, "dmn") is not None,
        session=session,
    )


def direct_calls(root: etree._Element, process_id: str) -> list[str]:
    """The process keys the call activities of one process name (not their callees)."""
    for process in root.iter(model.bpmn("process")):
        if process.get("id") == process_id:
            return sorted(
                {
                    str(call.get("calledElement"))
                    for call in process.iter(model.bpmn("callActivity"))
                    if call.get("calledElement")
                }
            )
    return []


def problems_of(error: DeploymentError, filename: str | None = None) -> list[LintProblem]:
    """A refusal raised while reading or parsing, as lint problems."""
    if isinstance(error.details, list) and error.details:
        return [
            LintProblem(
                rule=str(item.get("rule") or "lexflow/parse"),
                severity=ERROR,
                element_id=item.get("element_id"),
                message=item.get("message") or error.message,
                line=item.get("line"),
                filename=item.get("file") or filename,
            )
            for item in error.details
            if isinstance(item, dict)
        ]
    return [
        LintProblem(
            rule="lexflow/parse",
            severity=ERROR,
            element_id=error.element_id,
            message=error.message,
            line=error.line,
            filename=filename,
        )
    ]


def check_upload(
    ctx: EngineContext, session: Session, items: Upload, *, tolerant: bool
) -> CheckedUpload:
    """Every problem of this upload; nothing is stored (the caller decides what to do)."""
    bundle = Bundle(ctx, session)
    checked = CheckedUpload(bundle)
    for filename, raw in items:
        data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        try:
            bundle.add_upload(filename, data)
        except DeploymentError as exc:
            if not tolerant:
                raise
            checked.problems.extend(problems_of(exc, filename))
    subject = subject_for(ctx, session, bundle.uploaded)
    checked.problems.extend(ctx.lint_rules.run(subject))
    missing: list[str] = []
    try:
        checked.used = bundle.resolve(missing)
        processes = bundle.uploaded_processes()
    except DeploymentError as exc:
        if not tolerant:
            raise
        checked.problems.extend(problems_of(exc))
        return _finish(checked)
    for process_id, document, name in processes:
        try:
            spec, subs = bundle.build(process_id)
        except DeploymentError as exc:
            # A parse error on an element the lint already faulted (a service task with
            # no operator), or after a missing call target, says nothing new.
            flagged = {p.element_id for p in checked.problems if p.is_error}
            if not missing and exc.element_id not in flagged:
                checked.problems.extend(problems_of(exc, document.filename))
            continue
        process_specs = {process_id: spec, **subs}
        user_tasks = describe_user_tasks(process_specs, bundle.lanes, bundle.resources)
        found = check_process_specs(
            process_specs, user_tasks, ctx.evaluator, skip_sources=subject.checked_sources
        )
        checked.problems.extend(
            LintProblem(p.rule, ERROR, p.element_id, p.message, p.line, p.filename)
            for p in bundle.locate(found)
        )
        checked.built.append(BuiltProcess(process_id, document, name, spec, subs, user_tasks))
    return _finish(checked)


def _finish(checked: CheckedUpload) -> CheckedUpload:
    unique: dict[tuple[str, str | None, str], LintProblem] = {}
    for problem in checked.problems:
        unique.setdefault((problem.rule, problem.element_id, str(problem.message)), problem)
    checked.problems = list(unique.values())
    return checked
