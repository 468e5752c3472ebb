"""Deploying BPMN/DMN (and the JSON form schemas they name) as immutable, versioned definitions.

A deployment is a bundle of files. Call activities, business-rule tasks and form schemas are
resolved first within the bundle, then against the latest deployed definitions, and the
result is frozen into the definition's spec blob, so a running instance never changes under
a later deployment. A definition's identity is its file's hash plus the hash of that frozen
spec: deploying the same XML against the same dependencies is a no-op returning the existing
version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, clock
from .bpmn_parser import LexflowParser, read_lanes, unsupported_elements
from .context import EngineContext
from .errors import DeploymentError, NotFound
from .models import Definition, SpecBlob
from .specs import PROP_FORM, LoadedSpec, build_blob, describe_user_tasks, load_blob
from .validation import Problem, check_process_specs
from .xmlsafety import BPMN_NS, SPIFF_NS, ParsedDocument, line_of, parse_model

MAX_RESOURCE_BYTES = 256 * 1024
MAX_FILES = 50
MAX_KEY = 200  # definition.key
MAX_FILENAME = 300  # definition.filename


@dataclass(frozen=True)
class DefinitionInfo:
    """A deployed definition version, as callers see it."""

    id: int
    key: str
    kind: str
    version: int
    name: str | None
    filename: str
    sha256: str
    deployed_by: str
    deployed_at: datetime
    note: str | None
    created: bool = False

    @classmethod
    def of(cls, row: Definition, created: bool = False) -> DefinitionInfo:
        return cls(
            id=row.id,
            key=row.key,
            kind=row.kind,
            version=row.version,
            name=row.name,
            filename=row.filename,
            sha256=row.sha256,
            deployed_by=row.deployed_by,
            deployed_at=row.deployed_at,
            note=row.note,
            created=created,
        )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _latest(session: Session, key: str, kind: str) -> Definition | None:
    return session.execute(
        select(Definition)
        .where(Definition.key == key, Definition.kind == kind)
        .order_by(Definition.version.desc())
        .limit(1)
    ).scalar_one_or_none()


class _Bundle:
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
            raise DeploymentError(f"a file name must have 1 to {MAX_FILENAME} characters")
        if filename.lower().endswith(".json"):
            self._add_resource(filename, raw)
            self.uploaded_resources[filename] = raw
            return
        document = parse_model(raw, filename)
        problems = [
            Problem(element, reason, line, filename)
            for element, reason, line in unsupported_elements(document.root)
        ]
        if problems:
            _refuse(problems)
        self.uploaded.append(document)
        self._add_document(document)

    def _add_resource(self, filename: str, raw: bytes) -> None:
        if len(raw) > MAX_RESOURCE_BYTES:
            raise DeploymentError(f"{filename}: larger than {MAX_RESOURCE_BYTES} bytes")
        try:
            self.resources[filename] = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DeploymentError(f"{filename}: not valid UTF-8 JSON: {exc}") from exc

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
    def resolve(self) -> dict[str, int]:
        """Load deployed call targets, decisions and form schemas the upload lacks."""
        used: dict[str, int] = {}
        while True:
            missing_processes = [
                key
                for key in self.parser.get_process_dependencies()
                if key and key not in self.parser.process_parsers
            ]
            missing_decisions = [
                ref for ref in self._decision_refs() if ref not in self.parser.dmn_parsers
            ]
            if not missing_processes and not missing_decisions:
                break
            for key, kind in [(k, "bpmn") for k in missing_processes] + [
                (r, "dmn") for r in missing_decisions
            ]:
                row = _latest(self.session, key, kind)
                if row is None:
                    what = "process" if kind == "bpmn" else "decision"
                    raise DeploymentError(
                        f"the model uses the {what} '{key}', which is neither in this upload "
                        "nor deployed",
                        element_id=self._referrer(key),
                    )
                used[f"{kind}:{key}"] = row.id
                self._add_document(parse_model(row.xml.encode("utf-8"), row.filename))
        for name in sorted(self._form_refs()):
            if name in self.resources:
                continue
            row = _latest(self.session, name, "json")
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
                        f"{document.filename}: a process id must have 1 to {MAX_KEY} characters",
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
            raise DeploymentError(f"process '{process_id}': {exc}") from exc
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
            located.append(Problem(problem.element_id, problem.message, line, filename))
        return located


def _refuse(problems: list[Problem]) -> None:
    first = problems[0]
    summary = "; ".join(str(p) for p in problems[:10])
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    raise DeploymentError(
        f"the model cannot be deployed: {summary}{more}",
        element_id=first.element_id,
        line=first.line,
        details=[
            {"element_id": p.element_id, "line": p.line, "file": p.filename, "message": p.message}
            for p in problems
        ],
    )


class DefinitionService:
    """Deploys definitions and loads their parsed specs."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._spec_of: dict[int, str] = {}  # definition id -> spec sha256 (immutable)

    def deploy(
        self,
        session: Session,
        files: Mapping[str, bytes | str] | Iterable[tuple[str, bytes | str]],
        actor: str,
        note: str | None = None,
    ) -> list[DefinitionInfo]:
        items = list(files.items()) if isinstance(files, Mapping) else list(files)
        if not items:
            raise DeploymentError("nothing to deploy: give at least one .bpmn or .dmn file")
        if len(items) > MAX_FILES:
            raise DeploymentError(f"at most {MAX_FILES} files per deployment")
        bundle = _Bundle(self.ctx, session)
        for filename, raw in items:
            data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
            bundle.add_upload(filename, data)
        if not bundle.uploaded and not bundle.uploaded_resources:
            raise DeploymentError("nothing to deploy: no BPMN, DMN or JSON file in the upload")
        used = bundle.resolve()
        results: list[DefinitionInfo] = []
        for name, raw in sorted(bundle.uploaded_resources.items()):
            results.append(
                self._store(session, name, "json", name, name, raw, None, {}, actor, note)
            )
        for document in bundle.uploaded:
            if document.kind == "dmn":
                results.append(
                    self._store(
                        session,
                        _decision_id(document),
                        "dmn",
                        _decision_name(document),
                        document.filename,
                        document.raw,
                        None,
                        {},
                        actor,
                        note,
                    )
                )
        problems: list[Problem] = []
        built = []
        for process_id, document, name in bundle.uploaded_processes():
            spec, subs = bundle.build(process_id)
            process_specs = {process_id: spec, **subs}
            user_tasks = describe_user_tasks(process_specs, bundle.lanes, bundle.resources)
            problems.extend(
                check_process_specs(
                    process_specs,
                    user_tasks,
                    self.ctx.evaluator,
                    self.ctx.services,
                    self.ctx.role_known,
                )
            )
            built.append((process_id, document, name, spec, subs, user_tasks))
        if problems:
            _refuse(bundle.locate(list(dict.fromkeys(problems))))
        for process_id, document, name, spec, subs, user_tasks in built:
            used_forms = {info.form_name for info in user_tasks.values() if info.form_name}
            resources = {
                n: bundle.resources[n] for n in sorted(used_forms) if n in bundle.resources
            }
            spec_sha, body = build_blob(
                self.ctx.serializer, process_id, spec, subs, bundle.lanes, resources
            )
            if session.get(SpecBlob, spec_sha) is None:
                session.add(SpecBlob(sha256=spec_sha, body=body, created_at=clock.now()))
                session.flush()
            dependencies = {
                "called": sorted(subs),
                "deployed": used,
                "forms": sorted(resources),
            }
            results.append(
                self._store(
                    session,
                    process_id,
                    "bpmn",
                    name,
                    document.filename,
                    document.raw,
                    spec_sha,
                    dependencies,
                    actor,
                    note,
                )
            )
        self._link_called_versions(session, results, used)
        return results

    def _link_called_versions(
        self, session: Session, results: list[DefinitionInfo], used: dict[str, int]
    ) -> None:
        """Record which version of each called process a new definition was built with."""
        ids = {info.key: info.id for info in results if info.kind == "bpmn"}
        for info in results:
            if info.kind != "bpmn" or not info.created:
                continue
            row = session.get(Definition, info.id)
            assert row is not None  # noqa: S101 - stored in this transaction
            called = (row.dependencies or {}).get("called") or []
            row.dependencies = {
                **(row.dependencies or {}),
                "called_ids": {key: ids.get(key) or used.get(f"bpmn:{key}") for key in called},
            }
        session.flush()

    def _store(
        self,
        session: Session,
        key: str,
        kind: str,
        name: str | None,
        filename: str,
        raw: bytes,
        spec_sha: str | None,
        dependencies: dict[str, Any],
        actor: str,
        note: str | None,
    ) -> DefinitionInfo:
        identity = _sha(raw) if spec_sha is None else _sha(f"{_sha(raw)}:{spec_sha}".encode())
        existing = session.execute(
            select(Definition).where(Definition.key == key, Definition.sha256 == identity)
        ).scalar_one_or_none()
        if existing is not None:
            return DefinitionInfo.of(existing, created=False)
        latest_version = session.execute(
            select(func.max(Definition.version)).where(Definition.key == key)
        ).scalar()
        row = Definition(
            key=key,
            kind=kind,
            version=(latest_version or 0) + 1,
            name=name,
            filename=filename,
            sha256=identity,
            xml=raw.decode("utf-8"),
            spec_sha256=spec_sha,
            dependencies=dependencies,
            deployed_by=actor,
            deployed_at=clock.now(),
            note=note,
        )
        session.add(row)
        session.flush()
        audit.append_stream_event(
            session,
            f"definition:{key}",
            actor=actor,
            action="deploy",
            data={
                "definition_id": row.id,
                "version": row.version,
                "sha256": identity,
                "kind": kind,
                "note": note,
            },
        )
        return DefinitionInfo.of(row, created=True)

    # Reading ---------------------------------------------------------------------------------
    def get(self, session: Session, definition_id: int) -> Definition:
        row = session.get(Definition, definition_id)
        if row is None:
            raise NotFound(f"no definition {definition_id}")
        return row

    def latest(self, session: Session, key: str, version: int | None = None) -> Definition:
        query = select(Definition).where(Definition.key == key, Definition.kind == "bpmn")
        if version is not None:
            query = query.where(Definition.version == version)
        row = session.execute(
            query.order_by(Definition.version.desc()).limit(1)
        ).scalar_one_or_none()
        if row is None:
            suffix = f" version {version}" if version is not None else ""
            raise NotFound(f"no deployed process '{key}'{suffix}")
        return row

    def list(
        self, session: Session, key: str | None = None, latest_only: bool = False
    ) -> list[DefinitionInfo]:
        query = select(Definition).order_by(Definition.key, Definition.version)
        if key:
            query = query.where(Definition.key == key)
        rows = session.execute(query).scalars().all()
        if latest_only:
            newest: dict[str, Definition] = {}
            for row in rows:
                newest[row.key] = row
            rows = list(newest.values())
        return [DefinitionInfo.of(row) for row in rows]

    def loaded(self, session: Session, definition: Definition) -> LoadedSpec:
        return self._loaded(session, definition.id, definition.kind, definition.spec_sha256)

    def loaded_by_id(self, session: Session, definition_id: int) -> LoadedSpec:
        """The parsed spec of a definition, reading only its spec hash (definitions never
        change, so id -> hash is remembered; the spec itself comes from the spec cache)."""
        spec_sha = self._spec_of.get(definition_id)
        if spec_sha is None:
            found = session.execute(
                select(Definition.kind, Definition.spec_sha256).where(
                    Definition.id == definition_id
                )
            ).first()
            if found is None:
                raise NotFound(f"no definition {definition_id}")
            if found.spec_sha256 is None:
                raise NotFound(f"definition {definition_id} ({found.kind}) is not a process")
            spec_sha = self._spec_of[definition_id] = found.spec_sha256
        return self._loaded(session, definition_id, "bpmn", spec_sha)

    def _loaded(
        self, session: Session, definition_id: int, kind: str, spec_sha: str | None
    ) -> LoadedSpec:
        if spec_sha is None:
            raise NotFound(f"definition {definition_id} ({kind}) is not a process")
        cached = self.ctx.spec_cache.get(spec_sha)
        if cached is not None:
            return cached
        blob = session.get(SpecBlob, spec_sha)
        if blob is None:
            raise NotFound(f"the spec of definition {definition_id} is missing")
        return self.ctx.spec_cache.put(load_blob(self.ctx.serializer, blob.sha256, blob.body))


def _dmn_ns(document: ParsedDocument) -> str:
    return etree.QName(document.root).namespace or ""


def _decision_element(document: ParsedDocument) -> etree._Element:
    decision = document.root.find(f"{{{_dmn_ns(document)}}}decision")
    if decision is None or not decision.get("id"):
        raise DeploymentError(f"{document.filename}: the DMN file has no <decision> with an id")
    return decision


def _decision_id(document: ParsedDocument) -> str:
    decision_id = str(_decision_element(document).get("id"))
    if len(decision_id) > MAX_KEY:
        raise DeploymentError(
            f"{document.filename}: a decision id has at most {MAX_KEY} characters"
        )
    return decision_id


def _decision_name(document: ParsedDocument) -> str | None:
    return _decision_element(document).get("name")
