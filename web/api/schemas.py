"""The data shapes of the JSON API (``components.schemas`` of its OpenAPI 3.1 document).

Written by hand, next to :mod:`web.api.serializers`. Response objects list every field as
required and forbid extra ones, so the tests that validate every response against them fail
as soon as the code and the document disagree. Enumerations come from the domain's own
tables (document types, stages, grounds), so they cannot go stale.
"""

from __future__ import annotations

from typing import Any

from engine.task_attributes import PRIORITIES
from workflows.dossier import DOSSIER_ITEMS
from workflows.drafts import DOCUMENT_TYPES, STATUSES
from workflows.lifecycle import GROUNDS
from workflows.roles import STAGE_CODES

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
DATE: Schema = {"type": "string", "format": "date"}
TASK_STATES = ["open", "claimed", "completed", "cancelled"]
PRIORITY_NAMES = list(PRIORITIES)
INSTANCE_STATUSES = ["running", "suspended", "completed", "cancelled", "failed"]
DRAFT_STATUSES = list(STATUSES)


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or JSON null (OpenAPI 3.1 uses JSON Schema's type lists)."""
    if "type" in schema and isinstance(schema["type"], str):
        widened = {**schema, "type": [schema["type"], "null"]}
        if "enum" in schema:
            widened["enum"] = [*schema["enum"], None]
        return widened
    return {"anyOf": [schema, {"type": "null"}]}


def record(properties: dict[str, Schema], description: str) -> Schema:
    """A response object: every property always present, nothing else."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def page_of(item: str, description: str, total: str = "Matching items.") -> Schema:
    return record(
        {
            "items": {"type": "array", "items": ref(item)},
            "total": {"type": "integer", "minimum": 0, "description": total},
            "limit": {"type": "integer", "minimum": 1},
            "offset": {"type": "integer", "minimum": 0},
        },
        description,
    )


ERROR = {
    "type": "object",
    "description": "Every error: a stable machine code, a human sentence, and where it happened.",
    "properties": {
        "error": {
            "type": "string",
            "description": "bad_request, csrf_failed, unauthorized, forbidden, not_found, "
            "conflict, invalid_data, invalid_definition, invalid_expression, process_error, "
            "too_large, method_not_allowed, internal_error, database_unavailable",
        },
        "message": STRING,
        "instance_id": INTEGER,
        "task_id": STRING,
        "element_id": {"type": "string", "description": "The BPMN element at fault."},
        "line": {"type": "integer", "description": "Line of the element in the uploaded file."},
        "details": {
            "type": "array",
            "description": "One entry per problem (form field, missing dossier item, model "
            "element).",
            "items": {"type": "object"},
        },
    },
    "required": ["error", "message"],
    "additionalProperties": False,
}

DEFINITION_PROPERTIES: dict[str, Schema] = {
    "id": INTEGER,
    "key": {"type": "string", "description": "Process id, decision id or form file name."},
    "kind": {"type": "string", "enum": ["bpmn", "dmn", "json"]},
    "version": {"type": "integer", "minimum": 1},
    "name": nullable(STRING),
    "filename": STRING,
    "sha256": STRING,
    "deployed_by": STRING,
    "deployed_at": DATE_TIME,
    "note": nullable(STRING),
    "created": {
        "type": "boolean",
        "description": "True when this request created the version; false when the same "
        "content was already deployed.",
    },
    "redeployed_for": {
        "type": "array",
        "items": STRING,
        "description": "In a deploy's answer: this process was deployed again in the same "
        "action because it calls these processes (directly or through others), just "
        "deployed. Empty otherwise.",
    },
}
DEFINITION = record(
    DEFINITION_PROPERTIES,
    "An immutable deployed version of a BPMN process, DMN decision or JSON form schema.",
)
DEFINITION_DETAIL = record(
    {
        **DEFINITION_PROPERTIES,
        "xml": {"type": "string", "description": "The deployed file, verbatim."},
    },
    "A deployed definition with its file.",
)
DEPLOY_REQUEST: Schema = {
    "type": "object",
    "properties": {
        "files": {
            "type": "object",
            "description": "File name to content (BPMN/DMN XML or a JSON form schema as text).",
            "additionalProperties": {"type": "string"},
            "minProperties": 1,
            "maxProperties": 50,
        },
        "note": nullable({"type": "string", "maxLength": 2000}),
    },
    "required": ["files"],
    "additionalProperties": False,
}

INSTANCE = record(
    {
        "id": INTEGER,
        "definition_id": INTEGER,
        "definition_key": STRING,
        "business_key": nullable(STRING),
        "organisation": nullable(STRING),
        "status": {"type": "string", "enum": INSTANCE_STATUSES},
        "version": {"type": "integer", "description": "Optimistic-lock version."},
        "next_timer_at": nullable(DATE_TIME),
        "started_by": STRING,
        "started_at": DATE_TIME,
        "updated_at": DATE_TIME,
        "ended_at": nullable(DATE_TIME),
    },
    "A process instance.",
)
INSTANCE_START: Schema = {
    "type": "object",
    "properties": {
        "key": {"type": "string", "minLength": 1, "maxLength": 200},
        "version": {"type": "integer", "minimum": 1, "description": "Default: the latest."},
        "business_key": nullable({"type": "string", "maxLength": 200}),
        "organisation": nullable({"type": "string", "maxLength": 100}),
        "data": {"type": "object", "description": "Start variables."},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["key"],
    "additionalProperties": False,
}

TASK_PROPERTIES: dict[str, Schema] = {
    "id": STRING,
    "instance_id": INTEGER,
    "process_key": STRING,
    "element_id": {"type": "string", "description": "The BPMN id of the user task."},
    "name": nullable(STRING),
    "title": STRING,
    "title_en": nullable(
        {"type": "string", "description": "The title in English, where the model gives one."}
    ),
    "lane": nullable(STRING),
    "role": nullable(STRING),
    "organisation": nullable(STRING),
    "assignee": nullable(STRING),
    "state": {"type": "string", "enum": TASK_STATES},
    "due_at": nullable(DATE_TIME),
    "overdue": BOOLEAN,
    "created_at": DATE_TIME,
    "claimed_at": nullable(DATE_TIME),
    "claimed_by": nullable(STRING),
    "completed_at": nullable(DATE_TIME),
    "completed_by": nullable(STRING),
    "labels": {
        "type": "object",
        "description": "document_type, draft_code, lead_agency, stage...",
    },
    "priority": {"type": "string", "enum": PRIORITY_NAMES},
    "follow_up_on": nullable(
        {**DATE, "description": "When the assignee looks at the task again (local day)."}
    ),
}
TASK = record(TASK_PROPERTIES, "A human task (one step waiting for, or done by, a person).")
TASK_DETAIL = record(
    {
        **TASK_PROPERTIES,
        "documentation": nullable(STRING),
        "name_en": nullable(STRING),
        "documentation_en": nullable(STRING),
        "form": nullable({"type": "object", "description": "JSON Schema of the step's form."}),
        "required_documents": {
            "type": "array",
            "items": {"type": "string", "enum": sorted(DOSSIER_ITEMS)},
            "description": "Dossier items that must have a version before completing.",
        },
    },
    "A task with what its step asks for.",
)
ASSIGN_REQUEST: Schema = {
    "type": "object",
    "properties": {"assignee": {"type": "string", "minLength": 1, "maxLength": 100}},
    "required": ["assignee"],
    "additionalProperties": False,
}
TASK_UPDATE: Schema = {
    "type": "object",
    "description": "The assignee's (or a supervisor's) planning of an open task; a field left "
    "out stays as it is, follow_up_on null clears the date.",
    "properties": {
        "priority": {"type": "string", "enum": PRIORITY_NAMES},
        "follow_up_on": nullable(
            {**DATE, "description": "Today or later (YYYY-MM-DD, Vietnam's calendar)."}
        ),
    },
    "minProperties": 1,
    "additionalProperties": False,
}
COMPLETE_REQUEST: Schema = {
    "type": "object",
    "properties": {
        "data": {"type": "object", "description": "The form's fields (validated by its schema)."}
    },
    "additionalProperties": False,
}

AUDIT_EVENT = record(
    {
        "seq": INTEGER,
        "at": DATE_TIME,
        "actor": STRING,
        "action": {"type": "string", "description": "start, claim, complete, timer, ..."},
        "task_id": nullable(STRING),
        "data": {"type": "object"},
        "hash": {"type": "string", "description": "Hash chaining this event to the previous."},
    },
    "One entry of an instance's append-only, hash-chained audit log.",
)
HISTORY = record(
    {
        "tasks": {
            "type": "array",
            "items": ref("Task"),
            "description": "Human tasks in the order they were created, with who and when.",
        },
        "events": {"type": "array", "items": ref("AuditEvent")},
        "audit_intact": {
            "type": "boolean",
            "description": "Whether the hash chain of the audit log verifies.",
        },
    },
    "What happened in a process instance.",
)
DIAGRAM = record(
    {
        "definition_id": INTEGER,
        "xml": {"type": "string", "description": "BPMN XML of the instance's definition."},
        "completed": {"type": "array", "items": STRING, "description": "Done element ids."},
        "active": {"type": "array", "items": STRING, "description": "Waiting element ids."},
    },
    "What a diagram viewer needs to highlight an instance's progress.",
)

DRAFT = record(
    {
        "id": INTEGER,
        "code": {"type": "string", "description": "DT-<year>-<number>"},
        "title": STRING,
        "document_type": {"type": "string", "enum": sorted(DOCUMENT_TYPES)},
        "issuing_body": STRING,
        "lead_agency": STRING,
        "commune": nullable(STRING),
        "plan_year": INTEGER,
        "target_session": nullable(STRING),
        "target_date": nullable(DATE),
        "ground": {"type": "string", "enum": list(GROUNDS)},
        "procedure": nullable({"type": "string", "enum": ["normal", "simplified"]}),
        "legal_basis": nullable(STRING),
        "summary": nullable(STRING),
        "stage": {"type": "string", "enum": list(STAGE_CODES)},
        "status": {"type": "string", "enum": DRAFT_STATUSES},
        "instance_id": nullable(INTEGER),
        "number": nullable(STRING),
        "signed_on": nullable(DATE),
        "published_on": nullable(DATE),
        "effective_on": nullable(DATE),
        "created_by": STRING,
        "created_at": DATE_TIME,
        "updated_at": DATE_TIME,
    },
    "A legal document being made, driven by one process instance.",
)
DRAFT_CREATE: Schema = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 5, "maxLength": 500},
        "document_type": {"type": "string", "enum": sorted(DOCUMENT_TYPES)},
        "lead_agency": {"type": "string", "minLength": 1, "maxLength": 40},
        "plan_year": {"type": "integer", "minimum": 2000, "maximum": 2100},
        "target_session": nullable({"type": "string", "maxLength": 200}),
        "target_date": nullable(DATE),
        "ground": {"type": "string", "enum": list(GROUNDS)},
        "legal_basis": nullable({"type": "string", "maxLength": 5000}),
        "summary": nullable({"type": "string", "maxLength": 10000}),
        "commune": nullable({"type": "string", "maxLength": 40}),
        "consulted_agencies": {
            "type": "array",
            "items": {"type": "string", "maxLength": 40},
            "maxItems": 50,
        },
    },
    "required": ["title", "document_type", "lead_agency"],
    "additionalProperties": False,
}
DRAFT_ADMIN_REQUEST: Schema = {
    "type": "object",
    "description": "Why an administrator suspends, resumes or cancels a draft (audited). "
    "Required (5 to 2000 characters) to suspend or cancel, optional to resume.",
    "properties": {"reason": nullable({"type": "string", "maxLength": 2000})},
    "additionalProperties": False,
}
DOCUMENT_VERSION = record(
    {
        "id": INTEGER,
        "draft_id": INTEGER,
        "item": {"type": "string", "enum": sorted(DOSSIER_ITEMS)},
        "item_name": STRING,
        "version": {"type": "integer", "minimum": 1},
        "filename": STRING,
        "content_type": STRING,
        "size": INTEGER,
        "sha256": STRING,
        "note": nullable(STRING),
        "task_id": nullable(STRING),
        "uploaded_by": STRING,
        "uploaded_at": DATE_TIME,
        "download_url": {"type": "string", "description": "Path of the file's download."},
    },
    "One version of one dossier item of a draft.",
)

API_TOKEN = record(
    {
        "id": INTEGER,
        "name": STRING,
        "created_at": DATE_TIME,
        "last_used_at": nullable(DATE_TIME),
        "revoked": BOOLEAN,
        "revoked_at": nullable(DATE_TIME),
    },
    "One of the caller's API tokens (never its secret, which is shown once when created).",
)

BINARY: Schema = {"type": "string", "contentMediaType": "application/octet-stream"}
DEPLOY_UPLOAD: Schema = {
    "type": "object",
    "description": "multipart/form-data: BPMN, DMN and JSON form files in the field 'files'.",
    "properties": {
        "files": {"type": "array", "items": BINARY},
        "note": {"type": "string", "maxLength": 2000},
    },
    "required": ["files"],
}
DOCUMENT_UPLOAD: Schema = {
    "type": "object",
    "description": "multipart/form-data: one PDF, DOCX or ODT file for one dossier item.",
    "properties": {
        "item": {"type": "string", "enum": sorted(DOSSIER_ITEMS)},
        "file": BINARY,
        "note": {"type": "string", "maxLength": 2000},
        "task_id": {"type": "string", "description": "The open task the upload is for."},
    },
    "required": ["item", "file"],
}

SAVED_FILTER = record(
    {
        "id": INTEGER,
        "name": STRING,
        "owner": {"type": "string", "description": "The owner's username."},
        "mine": {"type": "boolean", "description": "Whether the caller owns it."},
        "params": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Inbox query parameters (tab, stage, priority, follow_up, sort...).",
        },
        "shared_with_organisation": nullable(STRING),
        "created_at": DATE_TIME,
        "updated_at": DATE_TIME,
    },
    "A saved inbox filter: the caller's own, or shared with one of their organisations.",
)
SAVED_FILTER_CREATE: Schema = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "params": {
            "type": "object",
            "additionalProperties": {"type": "string", "maxLength": 100},
            "description": "Inbox query parameters, checked as the inbox reads them.",
        },
        "shared_with_organisation": nullable(
            {"type": "string", "description": "One of the caller's own organisations."}
        ),
    },
    "required": ["name", "params"],
    "additionalProperties": False,
}
LINT_REQUEST: Schema = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": ["bpmn", "dmn"], "default": "bpmn"},
        "xml": {"type": "string", "minLength": 1, "description": "The model's XML."},
    },
    "required": ["xml"],
}
LINT_PROBLEM = record(
    {
        "rule": {"type": "string", "description": "Stable rule id, such as lexflow/role-known."},
        "severity": {"type": "string", "enum": ["error", "warning"]},
        "element_id": nullable(STRING),
        "message": STRING,
    },
    "One problem: errors refuse a deploy, warnings do not.",
)
LINT_RESULT = record(
    {
        "ok": {"type": "boolean", "description": "No errors (warnings allowed)."},
        "problems": {"type": "array", "items": ref("LintProblem")},
    },
    "What Lexflow's lint rules say about a model.",
)

SCHEMAS: dict[str, Schema] = {
    "Error": ERROR,
    "Definition": DEFINITION,
    "DefinitionDetail": DEFINITION_DETAIL,
    "DeployRequest": DEPLOY_REQUEST,
    "DeployUpload": DEPLOY_UPLOAD,
    "LintRequest": LINT_REQUEST,
    "LintProblem": LINT_PROBLEM,
    "LintResult": LINT_RESULT,
    "Instance": INSTANCE,
    "InstancePage": page_of("Instance", "One page of process instances."),
    "InstanceStart": INSTANCE_START,
    "Task": TASK,
    "TaskDetail": TASK_DETAIL,
    "TaskPage": page_of(
        "Task",
        "One page of tasks (soonest due first, or by priority or follow-up date).",
        "Matching tasks, counted up to 1000 (1000 means 1000 or more), as in the inbox.",
    ),
    "AssignRequest": ASSIGN_REQUEST,
    "TaskUpdate": TASK_UPDATE,
    "CompleteRequest": COMPLETE_REQUEST,
    "AuditEvent": AUDIT_EVENT,
    "History": HISTORY,
    "Diagram": DIAGRAM,
    "Draft": DRAFT,
    "DraftPage": page_of("Draft", "One page of drafts, most recently updated first."),
    "DraftCreate": DRAFT_CREATE,
    "DraftAdminRequest": DRAFT_ADMIN_REQUEST,
    "DocumentVersion": DOCUMENT_VERSION,
    "DocumentUpload": DOCUMENT_UPLOAD,
    "ApiToken": API_TOKEN,
    "SavedFilter": SAVED_FILTER,
    "SavedFilterCreate": SAVED_FILTER_CREATE,
}
