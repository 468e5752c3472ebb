"""Turning engine and domain objects into the JSON shapes the OpenAPI document promises.

Written out field by field (never ``asdict``/``__dict__``) so that a new column never leaks
into the API unreviewed. Datetimes are ISO 8601 in UTC with their offset; dates are
``YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import url_for

from engine import DefinitionInfo, InstanceInfo, TaskInfo
from engine.models import AuditEvent
from engine.specs import UserTaskInfo
from workflows.accounts import ApiToken
from workflows.dossier import DocumentVersion, item_name
from workflows.drafts import Draft
from workflows.inbox_filters import SavedInboxFilter


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def iso_date(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def definition(info: DefinitionInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "key": info.key,
        "kind": info.kind,
        "version": info.version,
        "name": info.name,
        "filename": info.filename,
        "sha256": info.sha256,
        "deployed_by": info.deployed_by,
        "deployed_at": iso(info.deployed_at),
        "note": info.note,
        "created": info.created,
        "redeployed_for": list(info.redeployed_for),
    }


def instance(info: InstanceInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "definition_id": info.definition_id,
        "definition_key": info.definition_key,
        "business_key": info.business_key,
        "organisation": info.organisation,
        "status": info.status,
        "version": info.version,
        "next_timer_at": iso(info.next_timer_at),
        "started_by": info.started_by,
        "started_at": iso(info.started_at),
        "updated_at": iso(info.updated_at),
        "ended_at": iso(info.ended_at),
    }


def task(info: TaskInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "instance_id": info.instance_id,
        "process_key": info.process_key,
        "element_id": info.element_id,
        "name": info.name,
        "title": info.title,
        "title_en": info.title_en,
        "lane": info.lane,
        "role": info.role,
        "organisation": info.organisation,
        "assignee": info.assignee,
        "state": info.state,
        "due_at": iso(info.due_at),
        "overdue": info.is_overdue(),
        "created_at": iso(info.created_at),
        "claimed_at": iso(info.claimed_at),
        "claimed_by": info.claimed_by,
        "completed_at": iso(info.completed_at),
        "completed_by": info.completed_by,
        "labels": {str(key): value for key, value in info.labels.items()},
        "priority": info.priority_name,
        "follow_up_on": iso_date(info.follow_up_on),
    }


def task_detail(info: TaskInfo, step: UserTaskInfo | None) -> dict[str, Any]:
    """A task plus what its step asks for: documentation, form schema, dossier items."""
    required = (step.properties.get("requiredDocuments", "") if step else "").split(",")
    return {
        **task(info),
        "documentation": step.documentation if step else None,
        "name_en": step.name_en if step else None,
        "documentation_en": step.documentation_en if step else None,
        "form": step.form_schema if step else None,
        "required_documents": [code.strip() for code in required if code.strip()],
    }


def audit_event(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "task_id": event.task_id,
        "data": dict(event.data or {}),
        "hash": event.hash,
    }


def draft(row: Draft) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "title": row.title,
        "document_type": row.document_type,
        "issuing_body": row.issuing_body,
        "lead_agency": row.lead_agency,
        "commune": row.commune,
        "plan_year": row.plan_year,
        "target_session": row.target_session,
        "target_date": iso_date(row.target_date),
        "ground": row.ground,
        "procedure": row.procedure,
        "legal_basis": row.legal_basis,
        "summary": row.summary,
        "stage": row.stage,
        "status": row.status,
        "instance_id": row.instance_id,
        "number": row.number,
        "signed_on": iso_date(row.signed_on),
        "published_on": iso_date(row.published_on),
        "effective_on": iso_date(row.effective_on),
        "created_by": row.created_by,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def document_version(row: DocumentVersion) -> dict[str, Any]:
    return {
        "id": row.id,
        "draft_id": row.draft_id,
        "item": row.item_code,
        "item_name": item_name(row.item_code),
        "version": row.version,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "note": row.note,
        "task_id": row.task_id,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": iso(row.uploaded_at),
        "download_url": url_for("api_documents.download", draft_id=row.draft_id, version_id=row.id),
    }


def page(items: list[dict[str, Any]], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def api_token(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "created_at": iso(row.created_at),
        "last_used_at": iso(row.last_used_at),
        "revoked": row.revoked,
        "revoked_at": iso(row.revoked_at),
    }


def saved_filter(row: SavedInboxFilter, caller: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "owner": row.owner,
        "mine": row.owner == caller,
        "params": {str(key): str(value) for key, value in row.params.items()},
        "shared_with_organisation": row.shared_with_organisation,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }
