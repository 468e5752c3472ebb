"""The operations of the JSON API: ``paths`` of its OpenAPI 3.1 document, by hand.

One entry per route in :mod:`web.api`, listing every status it can answer. Every
authenticated operation answers 401, and 503 while the database cannot be reached; writes
accept the ``X-CSRFToken`` header and may answer 400 when it is missing on a
cookie-authenticated request. Paths are relative to the server
URL ``/api/v1``.
"""

from __future__ import annotations

from engine.task_queries import FOLLOW_UP_FILTERS, SORTS
from web.api.schemas import DRAFT_STATUSES, INSTANCE_STATUSES, PRIORITY_NAMES, Schema, ref
from workflows.drafts import DOCUMENT_TYPES
from workflows.roles import STAGE_CODES

FILE_TYPES = [
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
]


def query(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def path_id(name: str, description: str, *, integer: bool = True) -> Schema:
    schema: Schema = {"type": "integer", "minimum": 1} if integer else {"type": "string"}
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def returns(description: str, schema: Schema) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error(name: str) -> Schema:
    return {"$ref": f"#/components/responses/{name}"}


def json_body(schema: str) -> Schema:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


def operation(
    operation_id: str,
    tag: str,
    summary: str,
    responses: dict[str, Schema],
    *,
    parameters: list[Schema] | None = None,
    body: Schema | None = None,
    description: str | None = None,
    write: bool = False,
) -> Schema:
    """An authenticated operation: 401 and 503 always; writes also take the CSRF header (400)."""
    params = list(parameters or [])
    answers = dict(responses)
    if write:
        params.append({"$ref": "#/components/parameters/CsrfToken"})
        answers.setdefault("400", error("BadRequest"))
    if any(p.get("in") == "query" for p in params):
        answers.setdefault("400", error("BadRequest"))
    answers["401"] = error("Unauthorized")
    answers["503"] = error("Unavailable")
    result: Schema = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "parameters": params,
        "responses": dict(sorted(answers.items())),
    }
    if description:
        result["description"] = description
    if body is not None:
        result["requestBody"] = body
    return result


PAGE = [
    query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}, "Page size."),
    query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Items to skip."),
]
INSTANCE_ID = path_id("instance_id", "Process instance id.")
TASK_ID = path_id("task_id", "Task id (a UUID).", integer=False)
DRAFT_ID = path_id("draft_id", "Draft id.")


IDEMPOTENCY_KEY: Schema = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A key of your choosing (1-200 printable characters), the same on every "
    "retry of one completion: a retry after a lost answer gets the first result.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


def with_parameters(operation: Schema, *parameters: Schema) -> Schema:
    return {**operation, "parameters": [*operation["parameters"], *parameters]}


def task_action(name: str, summary: str, body: Schema | None, extra: dict[str, Schema]) -> Schema:
    return operation(
        name,
        "tasks",
        summary,
        {
            "200": returns("The task after the action.", ref("Task")),
            "403": error("Forbidden"),
            "404": error("NotFound"),
            "409": error("Conflict"),
            **extra,
        },
        parameters=[TASK_ID],
        body=body,
        write=True,
    )


def draft_action(name: str, summary: str, *, reason_required: bool) -> Schema:
    """Suspend, resume or cancel a draft: administrators only, answering the draft."""
    return operation(
        name,
        "drafts",
        summary,
        {
            "200": returns("The draft after the action.", ref("Draft")),
            "403": error("Forbidden"),
            "404": error("NotFound"),
            "409": error("Conflict"),
            "422": error("InvalidData"),
        },
        parameters=[DRAFT_ID],
        body={
            "required": reason_required,
            "content": {"application/json": {"schema": ref("DraftAdminRequest")}},
        },
        write=True,
        description="Administrators only (403 otherwise). 409 when the draft's status does "
        "not allow it (resuming an active draft, cancelling a finished one, anything on a "
        "cancelled one); 422 when the reason is missing, shorter than 5 or longer than 2000 "
        "characters. The reason is written into the process's audit log.",
    )


# Paths ----------------------------------------------------------------------------------------
PATHS: dict[str, Schema] = {
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "tags": ["meta"],
            "summary": "This document.",
            "security": [],
            "responses": {"200": returns("The OpenAPI 3.1 document.", {"type": "object"})},
        }
    },
    "/definitions": {
        "get": operation(
            "listDefinitions",
            "definitions",
            "Deployed definitions (processes, decisions, forms), by key then version.",
            {"200": returns("Definitions.", {"type": "array", "items": ref("Definition")})},
            parameters=[
                query("key", {"type": "string"}, "Only this process/decision/form key."),
                query("latest", {"type": "boolean"}, "Only the newest version of each key."),
            ],
        ),
        "post": operation(
            "deployDefinitions",
            "definitions",
            "Deploy BPMN/DMN files and JSON form schemas (process owners, administrators).",
            {
                "200": returns(
                    "Nothing new: every file was already deployed with this content.",
                    {"type": "array", "items": ref("Definition")},
                ),
                "201": returns(
                    "At least one new version was created.",
                    {"type": "array", "items": ref("Definition")},
                ),
                "403": error("Forbidden"),
                "413": error("TooLarge"),
                "422": error("InvalidData"),
            },
            body={
                "required": True,
                "content": {
                    "multipart/form-data": {"schema": ref("DeployUpload")},
                    "application/json": {"schema": ref("DeployRequest")},
                },
            },
            write=True,
            description="A rejected model answers 422 with `element_id`, `line` and "
            "`details` (one entry per problem).",
        ),
    },
    "/models/lint": {
        "post": operation(
            "lintModel",
            "definitions",
            "Check one BPMN or DMN model against Lexflow's lint rules, storing nothing.",
            {
                "200": returns("The problems a deploy would report.", ref("LintResult")),
                "403": error("Forbidden"),
                "413": error("TooLarge"),
            },
            body=json_body("LintRequest"),
            write=True,
            description="Process owners and administrators only (403 otherwise). The same "
            "rules as a deploy: `ok` is false when any problem is an error (a deploy would "
            "refuse); warnings do not block. Messages are in the request's language. 400 when "
            "the body is not JSON or has no `xml` text; 413 beyond 2 MiB.",
        ),
    },
    "/definitions/{definition_id}": {
        "get": operation(
            "getDefinition",
            "definitions",
            "One deployed definition with its file.",
            {"200": returns("The definition.", ref("DefinitionDetail")), "404": error("NotFound")},
            parameters=[path_id("definition_id", "Definition id.")],
        )
    },
    "/instances": {
        "get": operation(
            "listInstances",
            "instances",
            "Process instances the caller may see, newest first.",
            {"200": returns("One page.", ref("InstancePage"))},
            parameters=[
                query("key", {"type": "string"}, "Process key."),
                query("status", {"type": "string", "enum": INSTANCE_STATUSES}, "Status."),
                query("business_key", {"type": "string"}, "Business key (draft code)."),
                query("organisation", {"type": "string"}, "Owning organisation code."),
                *PAGE,
            ],
        ),
        "post": operation(
            "startInstance",
            "instances",
            "Start a process directly (process owners, administrators); drafts use /drafts.",
            {
                "201": returns("The started instance.", ref("Instance")),
                "403": error("Forbidden"),
                "422": error("InvalidData"),
            },
            body=json_body("InstanceStart"),
            write=True,
        ),
    },
    "/instances/{instance_id}": {
        "get": operation(
            "getInstance",
            "instances",
            "One process instance.",
            {"200": returns("The instance.", ref("Instance")), "404": error("NotFound")},
            parameters=[INSTANCE_ID],
        )
    },
    "/instances/{instance_id}/history": {
        "get": operation(
            "getInstanceHistory",
            "instances",
            "Its human tasks in order (who, when) and its audit log.",
            {"200": returns("The history.", ref("History")), "404": error("NotFound")},
            parameters=[INSTANCE_ID],
        )
    },
    "/instances/{instance_id}/diagram": {
        "get": operation(
            "getInstanceDiagram",
            "instances",
            "The BPMN XML of its definition with the completed and active element ids.",
            {"200": returns("The diagram.", ref("Diagram")), "404": error("NotFound")},
            parameters=[INSTANCE_ID],
        )
    },
    "/tasks": {
        "get": operation(
            "listTasks",
            "tasks",
            "The inbox: my tasks, tasks offered to my roles, or my organisation's.",
            {
                "200": returns("One page, in the order `sort` asks for.", ref("TaskPage")),
                "403": error("Forbidden"),
                "404": error("NotFound"),
            },
            parameters=[
                query(
                    "view",
                    {
                        "type": "string",
                        "enum": ["mine", "offered", "organisation"],
                        "default": "mine",
                    },
                    "mine: claimed by me; offered: open for my roles; organisation: every "
                    "open task of an organisation I head.",
                ),
                query(
                    "organisation",
                    {"type": "string"},
                    "With view=organisation: which of the organisations I head.",
                ),
                query(
                    "document_type",
                    {"type": "string", "enum": sorted(DOCUMENT_TYPES)},
                    "Document type label.",
                ),
                query("stage", {"type": "string", "enum": list(STAGE_CODES)}, "Stage label."),
                query("lead_agency", {"type": "string"}, "Lead agency label."),
                query("overdue", {"type": "boolean"}, "Only tasks past their due date."),
                query(
                    "due_within",
                    {"type": "integer", "minimum": 0, "maximum": 365},
                    "Only tasks due within this many working days.",
                ),
                query(
                    "priority", {"type": "string", "enum": PRIORITY_NAMES}, "Only this priority."
                ),
                query(
                    "follow_up",
                    {"type": "string", "enum": list(FOLLOW_UP_FILTERS)},
                    "today: follow-up date today; overdue: before today; due: today or "
                    "before; none: no follow-up date.",
                ),
                query(
                    "sort",
                    {"type": "string", "enum": list(SORTS), "default": "due"},
                    "due: soonest due first; priority: highest first, then soonest due; "
                    "follow_up: soonest follow-up date first (none last), then soonest due.",
                ),
                query(
                    "instance_id",
                    {"type": "integer", "minimum": 1},
                    "The open tasks of one instance I may see (instead of a view).",
                ),
                *PAGE,
            ],
        )
    },
    "/tasks/{task_id}": {
        "get": operation(
            "getTask",
            "tasks",
            "One task with its form and required dossier items.",
            {"200": returns("The task.", ref("TaskDetail")), "404": error("NotFound")},
            parameters=[TASK_ID],
        ),
        "patch": task_action(
            "updateTask",
            "Set the priority and/or the follow-up date of an open task (its assignee or a "
            "supervisor of its organisation); 422 for a date before today.",
            json_body("TaskUpdate"),
            {"422": error("InvalidData")},
        ),
    },
    "/tasks/{task_id}/claim": {
        "post": task_action("claimTask", "Take an open task (409 if someone was faster).", None, {})
    },
    "/tasks/{task_id}/unclaim": {
        "post": task_action("unclaimTask", "Give a claimed task back.", None, {})
    },
    "/tasks/{task_id}/assign": {
        "post": task_action(
            "assignTask",
            "Assign a task to a user (its assignee or a supervisor).",
            json_body("AssignRequest"),
            {"422": error("InvalidData")},
        )
    },
    "/tasks/{task_id}/complete": {
        "post": with_parameters(
            task_action(
                "completeTask",
                "Submit a task's form; 422 names the invalid fields or the missing dossier "
                "items. With an Idempotency-Key, a retry of your own completion that was "
                "committed answers 200 with the first result instead of 409.",
                {
                    "required": False,
                    "content": {"application/json": {"schema": ref("CompleteRequest")}},
                },
                {"422": error("InvalidData")},
            ),
            IDEMPOTENCY_KEY,
        )
    },
    "/inbox/filters": {
        "get": operation(
            "listInboxFilters",
            "tasks",
            "My saved inbox filters and those shared with my organisations, by name.",
            {"200": returns("Saved filters.", {"type": "array", "items": ref("SavedFilter")})},
        ),
        "post": operation(
            "createInboxFilter",
            "tasks",
            "Save inbox parameters under a name, optionally shared with one of my "
            "organisations (another organisation is 403; a bad parameter or a name I "
            "already use is 422).",
            {
                "201": returns("The saved filter.", ref("SavedFilter")),
                "403": error("Forbidden"),
                "422": error("InvalidData"),
            },
            body=json_body("SavedFilterCreate"),
            write=True,
        ),
    },
    "/inbox/filters/{filter_id}": {
        "delete": operation(
            "deleteInboxFilter",
            "tasks",
            "Delete one of my saved filters (one shared with me is 403, any other 404).",
            {
                "200": returns("The deleted filter.", ref("SavedFilter")),
                "403": error("Forbidden"),
                "404": error("NotFound"),
            },
            parameters=[path_id("filter_id", "Saved filter id.")],
            write=True,
        )
    },
    "/drafts": {
        "get": operation(
            "listDrafts",
            "drafts",
            "Drafts the caller may see, most recently updated first.",
            {"200": returns("One page.", ref("DraftPage"))},
            parameters=[
                query("text", {"type": "string", "maxLength": 200}, "In the title or code."),
                query(
                    "document_type",
                    {"type": "string", "enum": sorted(DOCUMENT_TYPES)},
                    "Document type.",
                ),
                query("stage", {"type": "string", "enum": list(STAGE_CODES)}, "Stage."),
                query("status", {"type": "string", "enum": DRAFT_STATUSES}, "Status."),
                query("lead_agency", {"type": "string"}, "Lead agency code."),
                query(
                    "plan_year", {"type": "integer", "minimum": 2000, "maximum": 2100}, "Plan year."
                ),
                *PAGE,
            ],
        ),
        "post": operation(
            "createDraft",
            "drafts",
            "Register a draft and start its process (drafters and heads of the lead agency).",
            {
                "201": returns("The new draft.", ref("Draft")),
                "403": error("Forbidden"),
                "422": error("InvalidData"),
            },
            body=json_body("DraftCreate"),
            write=True,
        ),
    },
    "/drafts/{draft_id}": {
        "get": operation(
            "getDraft",
            "drafts",
            "One draft.",
            {"200": returns("The draft.", ref("Draft")), "404": error("NotFound")},
            parameters=[DRAFT_ID],
        )
    },
    "/drafts/{draft_id}/suspend": {
        "post": draft_action(
            "suspendDraft",
            "Put an active draft on hold: its steps cannot be submitted until resumed.",
            reason_required=True,
        )
    },
    "/drafts/{draft_id}/resume": {
        "post": draft_action(
            "resumeDraft",
            "Let work on a suspended draft continue (the reason is optional).",
            reason_required=False,
        )
    },
    "/drafts/{draft_id}/cancel": {
        "post": draft_action(
            "cancelDraft",
            "Cancel a draft for good: its open steps close, status cancelled, stage dropped.",
            reason_required=True,
        )
    },
    "/drafts/{draft_id}/documents": {
        "get": operation(
            "listDocuments",
            "drafts",
            "Every version of every dossier item, newest first.",
            {
                "200": returns("Versions.", {"type": "array", "items": ref("DocumentVersion")}),
                "404": error("NotFound"),
            },
            parameters=[DRAFT_ID],
        ),
        "post": operation(
            "uploadDocument",
            "drafts",
            "Add a version of a dossier item (PDF, DOCX or ODT; whoever may work an open "
            "task of the draft).",
            {
                "201": returns("The stored version.", ref("DocumentVersion")),
                "403": error("Forbidden"),
                "404": error("NotFound"),
                "413": error("TooLarge"),
                "422": error("InvalidData"),
            },
            parameters=[DRAFT_ID],
            body={
                "required": True,
                "content": {"multipart/form-data": {"schema": ref("DocumentUpload")}},
            },
            write=True,
        ),
    },
    "/drafts/{draft_id}/documents/{version_id}/download": {
        "get": operation(
            "downloadDocument",
            "drafts",
            "The file of one version, as an attachment.",
            {
                "200": {
                    "description": "The file.",
                    "headers": {
                        "Content-Disposition": {
                            "description": "attachment; filename=...",
                            "schema": {"type": "string"},
                        }
                    },
                    "content": {
                        t: {"schema": {"type": "string", "contentMediaType": t}} for t in FILE_TYPES
                    },
                },
                "404": error("NotFound"),
            },
            parameters=[DRAFT_ID, path_id("version_id", "Document version id.")],
        )
    },
    "/tokens": {
        "get": operation(
            "listTokens",
            "tokens",
            "The caller's own API tokens, newest first, revoked ones included.",
            {"200": returns("Tokens.", {"type": "array", "items": ref("ApiToken")})},
        )
    },
    "/tokens/{token_id}": {
        "delete": operation(
            "revokeToken",
            "tokens",
            "Revoke one of the caller's tokens; it stops working at once (revoking twice is "
            "harmless). Another user's token is 404.",
            {"200": returns("The revoked token.", ref("ApiToken")), "404": error("NotFound")},
            parameters=[path_id("token_id", "API token id.")],
            write=True,
        )
    },
}
