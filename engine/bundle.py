"""One deployment's files, read safely and parsed together with what they depend on.

A :class:`Bundle` holds the uploaded BPMN/DMN/JSON files, adds the deployed definitions they
call (call activities, business-rule decisions, form schemas) until nothing is missing, and
turns parser errors into :class:`DeploymentError` with the file, element id and line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NoReturn

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import select
from sqlalchemy.orm import Session

from .bpmn_parser import LexflowParser, read_lanes, unsupported_elements
from .context import EngineContext
from .errors import DeploymentError
from .lint import LintProblem
from .messages import Message
from .models import Definition
from .specs import PROP_FORM
from .validation import Problem
from .xmlsafety import BPMN_NS, SPIFF_NS, ParsedDocument, line_of, parse_model

MAX_RESOURCE_BYTES = 256 * 1024
MAX_KEY = 200  # definition.key
MAX_FILENAME = 300  # definition.filename


def latest_row(session: Session, key: str, kind: str) -> Definition | None:
    return session.execute(
        select(Definition)
        .where(Definition.key == key, Definition.kind == kind)
        .order_by(Definition.version.desc())
        .limit(1)
    ).scalar_one_or_none()


class Bundle:
    """The files of one deployment plus the deployed files they depend on."""

    def __init__(self, ctx: EngineContext, session: Session) -> None:
        self.ctx = ctx
        self.session = session
        self.parser = LexflowParser()
        self.uploaded: list[ParsedDocument] = []
        self.roots: dict[str, etree._Element] = {}
        self.resources: dict[str, Any] = {}
        self.uploaded_resources: dict[str, bytes] = {}
        self.lanes: dict[str, dict[str, Any]] = {}

    # Reading files ------------------------------------------------------------------------
    def add_upload(self, filename: str, raw: bytes) -> None:
        if not filename or len(filename) > MAX_FILENAME:
            raise DeploymentError(
                Message("a file name must have 1 to %(n)s characters", n=MAX_FILENAME)
            )
        if filename.lower().endswith(".json"):
            self._add_resource(filename, raw)
            self.uploaded_resources[filename] = raw
            return
        document = parse_model(raw, filename)
        problems = [
            Problem(element, reason, line, filename, "lexflow/unsupported-element")
            for element, reason, line in unsupported_elements(document.root)
        ]
        if problems:
            refuse(problems)
        self.uploaded.append(document)
        self._add_document(document)

    def _add_resource(self, filename: str, raw: bytes) -> None:
        if len(raw) > MAX_RESOURCE_BYTES:
            raise DeploymentError(
                Message("%(file)s: larger than %(n)s bytes", file=filename, n=MAX_RESOURCE_BYTES)
            )
        try:
            self.resources[filename] = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DeploymentError(
                Message(
                    "%(file)s: not valid UTF-8 JSON: %(problem)s", file=filename, problem=str(exc)
                )
            ) from exc

    def _add_document(self, document: ParsedDocument) -> None:
        self.roots[document.filename] = document.root
        try:
            if document.kind == "dmn":
                self.parser.add_dmn_xml(document.root, document.filename)
            else:
                self.parser.add_bpmn_xml(document.root, document.filename)
                self.lanes.update(read_lanes(document.root))
        except ValidationException as exc:
            raise self._error(exc, document.filename) from exc

    def _error(self, exc: ValidationException, filename: str | None = None) -> DeploymentError:
        element = getattr(exc, "id", None) or None
        filename = getattr(exc, "file_name", None) or filename
        root = self.roots.get(filename or "")
        line = line_of(root, element) if root is not None else None
        where = f"{filename}: " if filename else ""
        return DeploymentError(f"{where}{exc}", element_id=element, line=line)

    # Resolving dependencies ---------------------------------------------------------------
    def resolve(self, missing: list[str] | None = None) -> dict[str, int]:
        """Load deployed call targets, decisions and form schemas the upload lacks.

        A target that is nowhere raises :class:`DeploymentError`, unless ``missing`` is
        given: then its key is appended there (the lint rules say which element needs it)
        and resolution goes on with the rest.
        """
        used: dict[str, int] = {}
        absent: set[str] = set()
        while True:
            missing_processes = [
                key
                for key in self.parser.get_process_dependencies()
                if key and key not in self.parser.process_parsers and key not in absent
            ]
            missing_decisions = [
                ref
                for ref in self._decision_refs()
                if ref not in self.parser.dmn_parsers and ref not in absent
            ]
            if not missing_processes and not missing_decisions:
                break
            for key, kind in [(k, "bpmn") for k in missing_processes] + [
                (r, "dmn") for r in missing_decisions
            ]:
                row = latest_row(self.session, key, kind)
                if row is None:
                    if missing is not None:
                        absent.add(key)
                        missing.append(key)
                        continue
                    what = "process" if kind == "bpmn" else "decision"
                    raise DeploymentError(
                        Message(
                            "the model uses the %(kind)s '%(key)s', which is neither in this "
                            "upload nor deployed",
                            kind=what,
                            key=key,
                        ),
                        element_id=self._referrer(key),
                    )
                used[f"{kind}:{key}"] = row.id
                self._add_document(parse_model(row.xml.encode("utf-8"), row.filename))
        for name in sorted(self._form_refs()):
            if name in self.resources:
                continue
            row = latest_row(self.session, name, "json")
            if row is not None:
                used[f"json:{name}"] = row.id
                self._add_resource(name, row.xml.encode("utf-8"))
        return used

    def _decision_refs(self) -> set[str]:
        refs = set()
        for root in self.roots.values():
            for node in root.iter(f"{{{SPIFF_NS}}}calledDecisionId"):
                if node.text and node.text.strip():
                    refs.add(node.text.strip())
        return refs

    def _form_refs(self) -> set[str]:
        names = set()
        for root in self.roots.values():
            for prop in root.iter(f"{{{SPIFF_NS}}}property"):
                if prop.get("name") == PROP_FORM and prop.get("value"):
                    names.add(prop.get("value"))
        return names

    def _referrer(self, key: str) -> str | None:
        for root in self.roots.values():
            for node in root.iter(f"{{{BPMN_NS}}}callActivity"):
                if node.get("calledElement") == key:
                    return node.get("id")
            for node in root.iter(f"{{{SPIFF_NS}}}calledDecisionId"):
                if (node.text or "").strip() == key:
                    parent = node.getparent().getparent()
                    return parent.get("id") if parent is not None else None
        return None

    # Building specs -------------------------------------------------------------------------
    def uploaded_processes(self) -> list[tuple[str, ParsedDocument, str | None]]:
        result = []
        for document in self.uploaded:
            if document.kind != "bpmn":
                continue
            for process in document.root.iter(f"{{{BPMN_NS}}}process"):
                if process.get("isExecutable", "true") != "true":
                    continue
                process_id = process.get("id") or ""
                if not process_id or len(process_id) > MAX_KEY:
                    raise DeploymentError(
                        Message(
                            "%(file)s: a process id must have 1 to %(n)s characters",
                            file=document.filename,
                            n=MAX_KEY,
                        ),
                        element_id=process_id[:80] or None,
                        line=process.sourceline,
                    )
                result.append((process_id, document, process.get("name")))
        return result

    def build(self, process_id: str) -> tuple[Any, dict[str, Any]]:
        try:
            spec = self.parser.get_spec(process_id)
            subs = self.parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            raise self._error(exc) from exc
        except SpiffWorkflowException as exc:
            raise DeploymentError(
                Message("process '%(process)s': %(problem)s", process=process_id, problem=str(exc))
            ) from exc
        return spec, subs

    def locate(self, problems: list[Problem]) -> list[Problem]:
        located = []
        for problem in problems:
            line, filename = problem.line, problem.filename
            if line is None and problem.element_id:
                for name, root in self.roots.items():
                    line = line_of(root, problem.element_id)
                    if line is not None:
                        filename = name
                        break
            located.append(
                Problem(problem.element_id, problem.message, line, filename, problem.rule)
            )
        return located


def refuse(problems: Sequence[Problem | LintProblem]) -> NoReturn:
    first = problems[0]
    summary = "; ".join(str(p) for p in problems[:10])
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    raise DeploymentError(
        Message("the model cannot be deployed: %(problems)s", problems=summary + more),
        element_id=first.element_id,
        line=first.line,
        details=[
            {
                "rule": p.rule,
                "element_id": p.element_id,
                "line": p.line,
                "file": p.filename,
                "message": p.message,
            }
            for p in problems
        ],
    )


def dmn_namespace(document: ParsedDocument) -> str:
    return etree.QName(document.root).namespace or ""


def decision_element(document: ParsedDocument) -> etree._Element:
    decision = document.root.find(f"{{{dmn_namespace(document)}}}decision")
    if decision is None or not decision.get("id"):
        raise DeploymentError(
            Message("%(file)s: the DMN file has no <decision> with an id", file=document.filename)
        )
    return decision


def decision_id(document: ParsedDocument) -> str:
    decision_id = str(decision_element(document).get("id"))
    if len(decision_id) > MAX_KEY:
        raise DeploymentError(
            Message(
                "%(file)s: a decision id has at most %(n)s characters",
                file=document.filename,
                n=MAX_KEY,
            )
        )
    return decision_id


def decision_name(document: ParsedDocument) -> str | None:
    return decision_element(document).get("name")
