"""The drafting domain wired onto the engine: the one place both are composed.

:class:`Lifecycle` builds an :class:`~engine.Engine` with the domain's directory of users,
its authorization policy, the deadline functions over the live working-day calendar, the
organisation-name functions over the live organisation table, the service operations, the
stage tracker and the dossier checks; and it starts drafts (and the follow-ups monitoring
finds) with the process variables the models expect.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from engine import (
    Actor,
    Authorizer,
    Database,
    Engine,
    Forbidden,
    InvalidData,
    Message,
    ServiceRegistry,
    clock,
)
from engine.authorization import SYSTEM
from engine.context import CompletionRequest
from engine.definitions import DefinitionInfo
from workflows import (
    notifications,
    schema,  # noqa: F401  (registers the domain tables and migrations)
)
from workflows.calendar import vietnam_date
from workflows.calendar_store import CalendarProvider
from workflows.consultation.ledger import ledger_check
from workflows.deadlines import deadline_functions, rules_snapshot
from workflows.directory import DomainDirectory, Organisation
from workflows.dossier import item_name, missing_items
from workflows.drafts import COMMUNE_TYPES, DOCUMENT_TYPES, Draft, next_code, track_stage
from workflows.lint_rules import DEADLINE_RULE, REQUIRED_DOCUMENTS
from workflows.organisation_names import OrganisationNameProvider, organisation_name_functions
from workflows.organisations import commune_of, resolve
from workflows.registry import Regulation
from workflows.roles import LANE_ROLES, SUPERVISOR_ROLES, lane_role_exists
from workflows.services import FOLLOW_UP_TITLE, monitoring_variables, register_services
from workflows.step_times import keep_completed_step

MODELS = Path(__file__).resolve().parent.parent / "bpmn"
#: Grounds of the simplified procedure (Art. 50), as ``procedure.dmn`` reads them.
GROUNDS = (
    "none",
    "emergency",
    "defence",
    "disaster",
    "epidemic",
    "urgent_practical_issue",
    "suspension",
    "superior_document_alignment",
    "treaty_alignment",
    "validity_adjustment",
    "simplified_detailing",
)
#: Minimum calendar days between signing and effect, unless simplified or urgent (Art. 53(1)).
MIN_DAYS_TO_EFFECT = 10


class DomainAuthorizer(Authorizer):
    """Heads of agencies, chairpersons and the HĐND standing committee assign work."""

    supervisor_roles = SUPERVISOR_ROLES

    def refuse_start(self, actor: Actor, process_key: str) -> str | None:
        if actor.is_admin or actor.id == SYSTEM.id:
            return None
        if any(g.role in ("drafter", "agency_head", "process_owner") for g in actor.grants):
            return None  # start_draft still limits drafts to the lead agency's people
        return Message("only drafters, heads of agencies and process owners start processes")

    def refuse_migrate(self, actor: Actor, organisation: str | None) -> str | None:
        """Process owners move running drafts to a new version of the model they own."""
        if any(g.role == "process_owner" for g in actor.grants):
            return None
        return super().refuse_migrate(actor, organisation)

    def refuse_send_event(self, actor: Actor, kind: str, name: str) -> str | None:
        """Process owners deliver messages and signals (no lifecycle step waits for one, so
        no other role needs to: a step done by a person is a user task)."""
        if actor.is_admin or any(g.role == "process_owner" for g in actor.grants):
            return None
        return Message("only process owners and administrators send messages and signals")


def organisation_exists(session: Session, code: str) -> bool:
    """The engine opens a step only for an active organisation of the directory.

    Asked for every task a step opens: the organisations found are held for the session
    (its identity map keeps objects only while referenced), so a batch of timers reads each
    once. The object itself is held, not the answer: a change made in the same session
    (an organisation deactivated) shows at once.
    """
    held = session.info.setdefault(_ORGANISATIONS_KEY, {})
    organisation = held.get(code)
    if organisation is None or not inspect(organisation).persistent:  # deleted, rolled back
        organisation = session.get(Organisation, code)
    if organisation is None:
        return False
    held[code] = organisation
    return organisation.active


_ORGANISATIONS_KEY = "lexflow.organisations"


def model_files(directory: Path = MODELS) -> dict[str, bytes]:
    """Every model and form file, keyed by the name the models refer to them by."""
    files = {path.name: path.read_bytes() for path in sorted(directory.glob("*.bpmn"))}
    files.update({path.name: path.read_bytes() for path in sorted(directory.glob("*.dmn"))})
    files.update({path.name: path.read_bytes() for path in sorted(directory.glob("forms/*.json"))})
    return files


class Lifecycle:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.calendar = CalendarProvider(db)
        self.organisation_names = OrganisationNameProvider(db)
        services = ServiceRegistry()
        self.engine = Engine(
            db,
            services=services,
            functions={
                **deadline_functions(self.calendar),
                **organisation_name_functions(self.organisation_names),
            },
            directory=DomainDirectory(db),
            authorizer=DomainAuthorizer(),
            role_known=LANE_ROLES.__contains__,
            label_properties=("stage",),
            organisation_known=organisation_exists,
        )
        self.engine.ctx.role_exists = lane_role_exists
        register_services(services, self)
        self.engine.add_step_listener(track_stage)
        self.engine.add_step_listener(keep_completed_step)  # after track_stage: procedure
        self.engine.add_step_listener(notifications.on_step)
        self.engine.add_task_listener(notifications.on_task_change)
        self.engine.add_completion_check(ledger_check(self.engine, self.dossier_draft))
        self.engine.add_completion_check(self.check_dossier)
        self.engine.add_completion_check(self.check_effective_date)
        self.engine.add_lint_rule(DEADLINE_RULE)
        self.engine.add_lint_rule(REQUIRED_DOCUMENTS)

    # Models --------------------------------------------------------------------------------
    def deploy_models(self, actor: str = "system", note: str | None = None) -> list[DefinitionInfo]:
        return self.engine.deploy(model_files(), actor, note)

    # Drafts --------------------------------------------------------------------------------
    def start_draft(
        self,
        session: Session,
        actor: Actor,
        *,
        title: str,
        document_type: str,
        lead_agency: str,
        plan_year: int | None = None,
        target_session: str | None = None,
        target_date: date | None = None,
        ground: str = "none",
        legal_basis: str | None = None,
        summary: str | None = None,
        commune: str | None = None,
        consulted_agencies: Iterable[str] = (),
        plan_item_id: int | None = None,
        follows_regulation_id: int | None = None,
        follow_up_kind: str | None = None,
    ) -> Draft:
        """Create a draft and start its lifecycle process in the caller's transaction."""
        if document_type not in DOCUMENT_TYPES:
            raise InvalidData(Message("'%(code)s' is not a document type", code=document_type))
        title = (title or "").strip()
        if not 5 <= len(title) <= 500:
            raise InvalidData(Message("the title needs 5 to 500 characters"))
        if ground not in GROUNDS:
            raise InvalidData(
                Message("'%(ground)s' is not a ground of Art. 50 (or 'none')", ground=ground)
            )
        if session.get(Organisation, lead_agency) is None:
            raise InvalidData(Message("no organisation '%(code)s'", code=lead_agency))
        allowed = (
            actor.is_admin
            or actor.id == SYSTEM.id
            or actor.holds("drafter", lead_agency)
            or actor.holds("agency_head", lead_agency)
        )
        if not allowed:
            raise Forbidden(
                Message(
                    "%(actor)s is not a drafter or head of %(agency)s",
                    actor=actor.id,
                    agency=lead_agency,
                )
            )
        commune = self._draft_level(session, document_type, lead_agency, commune)
        orgs = resolve(session, document_type, commune)
        today = vietnam_date(clock.now())
        consulted = [
            c
            for c in dict.fromkeys([*orgs.mandatory_consulted, *consulted_agencies])
            if c != lead_agency
        ]
        for code in consulted:
            if session.get(Organisation, code) is None:
                raise InvalidData(Message("no organisation '%(code)s' to consult", code=code))
            if commune_of(session, code) != commune:
                raise InvalidData(
                    Message(
                        "'%(code)s' is not an organisation of the draft's level and cannot be "
                        "consulted on it",
                        code=code,
                    )
                )
        draft = Draft(
            code=next_code(session, today.year),
            title=title,
            document_type=document_type,
            issuing_body=orgs.issuing_body,
            lead_agency=lead_agency,
            commune=commune,
            plan_year=plan_year or today.year,
            target_session=target_session,
            target_date=target_date,
            ground=ground,
            legal_basis=legal_basis,
            summary=summary,
            stage="plan",
            status="active",
            plan_item_id=plan_item_id,
            follows_regulation_id=follows_regulation_id,
            follow_up_kind=follow_up_kind,
            rules_as_of=today,
            created_by=actor.id,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add(draft)
        session.flush()
        variables: dict[str, Any] = {
            "draft_id": draft.id,
            "draft_code": draft.code,
            "title": draft.title,
            "document_type": document_type,
            "ground": ground,
            "lead_agency": lead_agency,
            "consulted_agencies": consulted,
            "deadline_rules": rules_snapshot(session, document_type, today),
            "target_date": target_date.isoformat() if target_date else None,
            **orgs.variables(),
        }
        instance = self.engine.start(
            document_type,
            actor=actor,
            business_key=draft.code,
            data=variables,
            organisation=lead_agency,
            labels={
                "document_type": document_type,
                "draft_code": draft.code,
                "lead_agency": lead_agency,
            },
            session=session,
        )
        draft.instance_id = instance.id
        return draft

    @staticmethod
    def _draft_level(
        session: Session, document_type: str, lead_agency: str, commune: str | None
    ) -> str | None:
        """The commune of a commune document, derived from its lead agency (never trusted from
        the request); None for a provincial one, which a commune's body cannot lead."""
        lead_commune = commune_of(session, lead_agency)
        if document_type not in COMMUNE_TYPES:
            if lead_commune is not None:
                raise InvalidData(
                    Message(
                        "%(agency)s belongs to a commune: it cannot lead a provincial document",
                        agency=lead_agency,
                    )
                )
            return None
        if lead_commune is None:
            raise InvalidData(
                Message(
                    "a commune document is led by an organisation of that commune, not by "
                    "%(agency)s",
                    agency=lead_agency,
                )
            )
        if commune and commune != lead_commune:
            raise InvalidData(
                Message(
                    "%(agency)s belongs to %(commune)s, not to %(asked)s",
                    agency=lead_agency,
                    commune=lead_commune,
                    asked=commune,
                )
            )
        return lead_commune

    def start_follow_up(self, session: Session, original: Regulation, kind: str) -> Draft:
        """A new draft amending/replacing/suspending/repealing ``original``."""
        source = session.get(Draft, original.draft_id) if original.draft_id else None
        return self.start_draft(
            session,
            SYSTEM,
            title=f"{FOLLOW_UP_TITLE[kind]} {original.number}: {original.title}"[:500],
            document_type=original.document_type,
            lead_agency=original.lead_agency or original.issuing_body,
            commune=source.commune if source else None,
            follows_regulation_id=original.id,
            follow_up_kind=kind,
            legal_basis=f"Kết quả theo dõi, kiểm tra văn bản {original.number}",
        )

    def start_monitoring(self, session: Session, regulation: Regulation) -> int:
        source = session.get(Draft, regulation.draft_id) if regulation.draft_id else None
        orgs = resolve(
            session,
            regulation.document_type,
            source.commune if source and regulation.document_type in COMMUNE_TYPES else None,
        )
        data = {**monitoring_variables(session, regulation), **orgs.variables()}
        instance = self.engine.start(
            "regulation_monitoring",
            actor=SYSTEM,
            business_key=f"REG-{regulation.id}",
            data=data,
            organisation=data["lead_agency"],
            labels={"document_type": regulation.document_type, "regulation": regulation.number},
            session=session,
        )
        regulation.monitoring_instance_id = instance.id
        return instance.id

    def dossier_draft(self, session: Session, instance_id: int) -> Draft | None:
        """The draft whose dossier a process works on: its own, or (monitoring) the one the
        regulation came from."""
        draft = self.draft_of(session, instance_id)
        if draft is not None:
            return draft
        regulation = session.execute(
            select(Regulation).where(Regulation.monitoring_instance_id == instance_id)
        ).scalar_one_or_none()
        if regulation is None or regulation.draft_id is None:
            return None
        return session.get(Draft, regulation.draft_id)

    def draft_of(self, session: Session, instance_id: int) -> Draft | None:
        return session.execute(
            select(Draft).where(Draft.instance_id == instance_id)
        ).scalar_one_or_none()

    # Completion checks -----------------------------------------------------------------------
    def check_dossier(self, request: CompletionRequest) -> None:
        """Refuse to submit a step while a dossier item it requires is missing."""
        if request.info is None:
            return
        required = [
            code.strip()
            for code in request.info.properties.get("requiredDocuments", "").split(",")
            if code.strip()
        ]
        if not required:
            return
        draft = self._draft_of_task(request)
        if draft is None:
            return
        missing = missing_items(request.session, draft.id, required)
        if missing:
            names = ", ".join(item_name(code) for code in missing)
            raise InvalidData(
                Message("the dossier still lacks: %(items)s", items=names),
                task_id=request.task.id,
                details=[
                    {"field": "documents", "item": code, "message": item_name(code, "en")}
                    for code in missing
                ],
            )

    def check_effective_date(self, request: CompletionRequest) -> None:
        """Effect not earlier than 10 days after signing, unless simplified or urgent."""
        data = request.process_data
        if "effective_on" not in request.data:
            return
        try:
            effective = date.fromisoformat(str(request.data["effective_on"])[:10])
            signed = date.fromisoformat(str(data.get("signed_on") or "")[:10])
        except ValueError:
            return  # the form schema reports malformed dates
        if effective < signed:
            raise InvalidData(
                Message("the effective date cannot be before the signing date"),
                task_id=request.task.id,
                details=[
                    {"field": "effective_on", "message": Message("is before the signing date")}
                ],
            )
        simplified = data.get("procedure") == "simplified" or bool(data.get("urgent_effect"))
        if not simplified and effective < signed + timedelta(days=MIN_DAYS_TO_EFFECT):
            raise InvalidData(
                Message(
                    "a document takes effect no earlier than %(days)s days after signing "
                    "(Art. 53(1) of Law 64/2025/QH15), except under the simplified procedure "
                    "or in an urgent case",
                    days=MIN_DAYS_TO_EFFECT,
                ),
                task_id=request.task.id,
                details=[
                    {
                        "field": "effective_on",
                        "message": Message(
                            "must be at least %(days)s days after signing",
                            days=MIN_DAYS_TO_EFFECT,
                        ),
                    }
                ],
            )

    def _draft_of_task(self, request: CompletionRequest) -> Draft | None:
        return self.dossier_draft(request.session, request.task.instance_id)
