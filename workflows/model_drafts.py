"""Draft process models: what a process owner is still editing in the browser modeler.

A draft is not executable and nobody but process owners and administrators sees it; it
becomes a definition only when it is deployed through the engine (the same validation as
an uploaded file), which then removes the draft. Each draft keeps the process key and name
read from its XML, who saved it last and when, and the deployed version it started from.
Saving and deleting are audited on the stream ``model_draft:<id>``.

A draft may also be a DMN decision (``kind`` "dmn", edited as a table), and a BPMN draft
carries the form schemas its user tasks name that were edited in the modeler (``forms``:
file name -> the schema's JSON text, kept as text so that the field order is the owner's).
Deploying the draft deploys them with the model, through the same checks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import DeploymentError, Message, NotFound, audit, clock
from engine.models import Base, BigId
from engine.xmlsafety import BPMN_NS, parse_model

MAX_KEY = 200
MAX_NAME = 500


class ModelDraft(Base):
    __tablename__ = "model_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY), index=True)
    name: Mapped[str | None] = mapped_column(String(MAX_NAME))
    kind: Mapped[str] = mapped_column(String(10))
    xml: Mapped[str] = mapped_column(Text)
    base_definition_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("definition.id"))
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    forms: Mapped[dict[str, str] | None] = mapped_column(JSON(none_as_null=True))

    def files(self) -> list[tuple[str, str]]:
        """What deploying this draft uploads: the model, then its edited form schemas."""
        suffix = "dmn" if self.kind == "dmn" else "bpmn"
        return [(f"{self.key}.{suffix}", self.xml), *sorted((self.forms or {}).items())]


def describe(xml: str) -> tuple[str, str | None]:
    """The key (the first process's id) and name of a BPMN document, or DeploymentError.

    The XML goes through the engine's safe front door, so a draft holds nothing the
    deployment would refuse to even read.
    """
    return _describe(xml)[1:]


def kind_of(xml: str) -> str:
    """ "bpmn" or "dmn": what kind of model the XML is (DeploymentError if neither)."""
    return _describe(xml, dmn=True)[0]


def _describe(xml: str, *, dmn: bool = False) -> tuple[str, str, str | None]:
    document = parse_model(xml, "draft.bpmn")
    if dmn and document.kind == "dmn":
        decisions = list(document.root.iter("{*}decision"))
        if not decisions or not decisions[0].get("id"):
            raise DeploymentError(Message("the model has no decision with an id"))
        name = (decisions[0].get("name") or "").strip()[:MAX_NAME] or None
        return "dmn", str(decisions[0].get("id"))[:MAX_KEY], name
    if document.kind != "bpmn":
        raise DeploymentError(Message("the modeler edits BPMN process models only"))
    processes = list(document.root.iter(f"{{{BPMN_NS}}}process"))
    executable = [p for p in processes if p.get("isExecutable") == "true"] or processes
    if not executable or not executable[0].get("id"):
        raise DeploymentError(Message("the model has no process with an id"))
    process = executable[0]
    key = process.get("id") or ""
    if len(key) > MAX_KEY:
        raise DeploymentError(Message("the process id has more than %(n)s characters", n=MAX_KEY))
    name = (process.get("name") or "").strip()[:MAX_NAME] or None
    return "bpmn", key, name


def save(
    session: Session,
    actor: str,
    xml: str,
    *,
    draft_id: int | None = None,
    base_definition_id: int | None = None,
) -> ModelDraft:
    """Create a draft (``draft_id`` None) or replace the XML of an existing one."""
    kind, key, name = _describe(xml, dmn=True)
    now = clock.now()
    if draft_id is None:
        draft = ModelDraft(
            key=key,
            name=name,
            kind=kind,
            xml=xml,
            base_definition_id=base_definition_id,
            author=actor,
            created_at=now,
            updated_at=now,
        )
        session.add(draft)
    else:
        draft = get(session, draft_id)
        if kind != draft.kind:
            raise DeploymentError(Message("a draft keeps its kind of model (BPMN or DMN)"))
        draft.key, draft.name, draft.xml = key, name, xml
        draft.author, draft.updated_at = actor, now
    session.flush()
    audit.append_stream_event(
        session,
        f"model_draft:{draft.id}",
        actor=actor,
        action="save_model_draft",
        data={"draft_id": draft.id, "key": key, "bytes": len(xml.encode("utf-8"))},
    )
    return draft


def save_form(session: Session, actor: str, draft_id: int, filename: str, text: str) -> None:
    """Store (or replace) one form schema of a BPMN draft, keeping the others."""
    draft = get(session, draft_id)
    if draft.kind != "bpmn":
        raise DeploymentError(Message("only a BPMN draft model has forms"))
    draft.forms = {**(draft.forms or {}), filename: text}
    draft.author, draft.updated_at = actor, clock.now()
    session.flush()
    audit.append_stream_event(
        session,
        f"model_draft:{draft.id}",
        actor=actor,
        action="save_model_draft_form",
        data={"draft_id": draft.id, "form": filename, "bytes": len(text.encode("utf-8"))},
    )


def get(session: Session, draft_id: int) -> ModelDraft:
    draft = session.get(ModelDraft, draft_id)
    if draft is None:
        raise NotFound(Message("no draft model %(id)s", id=draft_id))
    return draft


def listed(session: Session) -> list[ModelDraft]:
    """Every draft, the most recently saved first."""
    query = select(ModelDraft).order_by(ModelDraft.updated_at.desc(), ModelDraft.id.desc())
    return list(session.execute(query).scalars())


def delete(session: Session, actor: str, draft_id: int, *, reason: str) -> None:
    """Remove a draft (``reason``: "deleted", or "deployed" when it became a version)."""
    draft = get(session, draft_id)
    audit.append_stream_event(
        session,
        f"model_draft:{draft.id}",
        actor=actor,
        action="delete_model_draft",
        data={"draft_id": draft.id, "key": draft.key, "reason": reason},
    )
    session.delete(draft)
    session.flush()
