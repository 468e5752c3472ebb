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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, clock
from .bundle import decision_id, decision_name, refuse
from .context import EngineContext
from .errors import DeploymentError, NotFound
from .lint import LintProblem
from .lint.check import check_upload, direct_calls
from .messages import Message
from .models import Definition, SpecBlob
from .specs import LoadedSpec, build_blob, load_blob

MAX_FILES = 50


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
    #: Set on a version deployed again in the same action because these processes it
    #: calls (directly or through others) were just deployed: see ``_redeploy_callers``.
    redeployed_for: tuple[str, ...] = ()

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


def _calls_decision(xml: str, decision: str) -> bool:
    """Whether a process's XML names ``decision`` in a business rule task (an id is a plain
    NCName, so the text match cannot be fooled by markup)."""
    return re.search(rf"calledDecisionId>\s*{re.escape(decision)}\s*<", xml) is not None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
        warnings: list[LintProblem] | None = None,
        *,
        with_callers: bool = True,
    ) -> list[DefinitionInfo]:
        """Store a new version of every changed file, or refuse the whole upload.

        Every lint rule runs first (:func:`engine.lint.check.check_upload`); any error
        refuses with each problem's rule, element and line, and warnings (appended to
        ``warnings`` when given) do not block. Deployed processes that call a process of
        this upload get a new version in the same transaction (``with_callers``), listed
        after the upload's with ``redeployed_for``.
        """
        items = list(files.items()) if isinstance(files, Mapping) else list(files)
        if not items:
            raise DeploymentError(
                Message("nothing to deploy: give at least one .bpmn or .dmn file")
            )
        if len(items) > MAX_FILES:
            raise DeploymentError(Message("at most %(n)s files per deployment", n=MAX_FILES))
        checked = check_upload(self.ctx, session, items, tolerant=False)
        bundle = checked.bundle
        if not bundle.uploaded and not bundle.uploaded_resources:
            raise DeploymentError(
                Message("nothing to deploy: no BPMN, DMN or JSON file in the upload")
            )
        if checked.errors:
            refuse(checked.errors)
        if warnings is not None:
            warnings.extend(checked.warnings)
        used = checked.used
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
                        decision_id(document),
                        "dmn",
                        decision_name(document),
                        document.filename,
                        document.raw,
                        None,
                        {},
                        actor,
                        note,
                    )
                )
        built = [
            (b.process_id, b.document, b.name, b.spec, b.subprocess_specs, b.user_tasks)
            for b in checked.built
        ]
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
                "calls": direct_calls(document.root, process_id),
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
        if with_callers:
            results.extend(self._redeploy_callers(session, results, actor, note))
        return results

    def _redeploy_callers(
        self, session: Session, results: list[DefinitionInfo], actor: str, note: str | None
    ) -> list[DefinitionInfo]:
        """New versions of the deployed processes that call a process or a decision just
        deployed (a decision table is frozen into the spec of the process that uses it).

        A process's spec is frozen with everything it calls when it is deployed (so a
        running draft never changes under it); without this, a changed stage would reach
        no new draft until someone redeployed every parent by hand. ``called`` lists what a
        version calls directly and through others, so grandparents come in the same pass.
        """
        changed = {info.key for info in results if info.kind == "bpmn" and info.created}
        decisions = {info.key for info in results if info.kind == "dmn" and info.created}
        if not changed and not decisions:
            return []
        uploaded = {info.key for info in results}
        newest: dict[str, Definition] = {}
        for row in session.execute(
            select(Definition).where(Definition.kind == "bpmn").order_by(Definition.version)
        ).scalars():
            newest[row.key] = row
        callers = {
            key: sorted(
                (set((row.dependencies or {}).get("called") or ()) & changed)
                | {d for d in decisions if _calls_decision(row.xml, d)}
            )
            for key, row in newest.items()
            if key not in uploaded
        }
        changed |= decisions
        callers = {key: called for key, called in callers.items() if called}
        if not callers:
            return []
        files = {newest[key].filename: newest[key].xml for key in sorted(callers)}
        try:
            again = self.deploy(session, files, actor, note, with_callers=False)
        except DeploymentError as exc:
            raise DeploymentError(
                Message(
                    "the processes that call %(changed)s must be deployed again with it, and "
                    "one of them (%(callers)s) cannot be: %(problem)s",
                    changed=", ".join(sorted(changed)),
                    callers=", ".join(sorted(callers)),
                    problem=exc.message,
                ),
                element_id=exc.element_id,
                line=exc.line,
                details=exc.details,
            ) from exc
        return [
            replace(info, redeployed_for=tuple(callers.get(info.key, ())))
            for info in again
            if info.created
        ]

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
