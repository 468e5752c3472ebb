"""The OpenAPI ``paths`` and ``schemas`` of what process owners do to running processes:
deliver a message, broadcast a signal, migrate the instances of a process to its newest
version. Kept apart from :mod:`web.api.paths` and :mod:`web.api.schemas` (merged into the
one document by :mod:`web.api.spec`) so those two stay readable."""

from __future__ import annotations

from web.api.paths import error, json_body, operation, path_id, query, returns
from web.api.schemas import BOOLEAN, INTEGER, STRING, Schema, nullable, record, ref

NAME: Schema = {"type": "string", "minLength": 1, "maxLength": 200}
DATA: Schema = {
    "type": "object",
    "description": "What the catching event stores in its variable (the model names it).",
}
INSTANCE_IDS: Schema = {"type": "array", "items": INTEGER}

OWNER_SCHEMAS: dict[str, Schema] = {
    "MessageRequest": {
        "type": "object",
        "properties": {
            "name": {**NAME, "description": "The message's name in the model."},
            "correlation_key": {
                **nullable(NAME),
                "description": "The business key of the instance it is for; without one, "
                "exactly one instance may be waiting.",
            },
            "data": DATA,
        },
        "required": ["name"],
        "additionalProperties": False,
    },
    "SignalRequest": {
        "type": "object",
        "properties": {"name": {**NAME, "description": "The signal's name."}, "data": DATA},
        "required": ["name"],
        "additionalProperties": False,
    },
    "Delivery": record(
        {
            "kind": {"type": "string", "enum": ["message", "signal"]},
            "name": STRING,
            "correlation_key": nullable(STRING),
            "received": {**INSTANCE_IDS, "description": "Instances that caught it."},
            "started": {**INSTANCE_IDS, "description": "Instances its start event started."},
            "failed": {
                "type": "object",
                "additionalProperties": STRING,
                "description": "Instance id -> why it could not take it (left as it was).",
            },
            "not_started": {
                "type": "object",
                "additionalProperties": STRING,
                "description": "Process key -> why it could not be started by it.",
            },
        },
        "Who received a message or signal.",
    ),
    "MigrationReport": record(
        {
            "instance_id": INTEGER,
            "from_definition_id": INTEGER,
            "to_definition_id": INTEGER,
            "from_version": INTEGER,
            "to_version": INTEGER,
            "possible": {"type": "boolean", "description": "It can move (dry run) or moved."},
            "dry_run": BOOLEAN,
            "refusals": {"type": "array", "items": STRING, "description": "Why it cannot."},
            "changed": {"type": "array", "items": STRING},
            "added": {"type": "array", "items": STRING},
        },
        "One instance's migration, planned or done.",
    ),
    "MigrationPlan": record(
        {
            "key": STRING,
            "to_definition_id": INTEGER,
            "to_version": INTEGER,
            "by_version": {
                "type": "object",
                "additionalProperties": INTEGER,
                "description": "Older version -> how many running instances are on it.",
            },
            "instances": {"type": "array", "items": ref("MigrationReport")},
        },
        "The running instances of a process on older versions than its newest.",
    ),
    "MigrationRequest": {
        "type": "object",
        "description": "Either the instances to move, or all: true for every one that can.",
        "properties": {
            "instance_ids": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1},
                "minItems": 1,
                "maxItems": 1000,
            },
            "all": {"const": True},
        },
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
    },
    "PropertyChange": record(
        {"name": STRING, "old": nullable(STRING), "new": nullable(STRING)},
        "One property of an element before and after (null: absent); for a list, such as "
        "a lane's members, `old` names who left (− x) and `new` who joined (+ y).",
    ),
    "ElementChange": record(
        {
            "element_id": STRING,
            "kind": {**STRING, "description": "The BPMN type, e.g. userTask."},
            "name": nullable(STRING),
            "properties": {"type": "array", "items": ref("PropertyChange")},
        },
        "An element added, removed, changed or moved (only its position or size).",
    ),
    "ModelChanges": record(
        {
            "from": ref("Definition"),
            "to": ref("Definition"),
            **{
                part: {"type": "array", "items": ref("ElementChange")}
                for part in ("added", "removed", "changed", "moved")
            },
        },
        "What changed between two versions of one process model.",
    ),
}

KEY: Schema = {
    "name": "key",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "Process key (the BPMN process id).",
}
DELIVERY_ANSWERS: dict[str, Schema] = {
    "200": returns("Who received it.", ref("Delivery")),
    "403": error("Forbidden"),
    "404": error("NotFound"),
    "409": error("Conflict"),
    "422": error("InvalidData"),
}

OWNER_PATHS: dict[str, Schema] = {
    "/messages": {
        "post": operation(
            "deliverMessage",
            "instances",
            "Deliver a message to the instance(s) waiting for it (process owners, admins).",
            DELIVERY_ANSWERS,
            body=json_body("MessageRequest"),
            write=True,
            description="Correlated by name and business key; one transaction per instance, "
            "audited. When none waits, a process whose start event waits for it is started. "
            "404 when nothing takes it; 409 when a key is needed or every receiver failed.",
        )
    },
    "/signals": {
        "post": operation(
            "broadcastSignal",
            "instances",
            "Broadcast a signal to every instance waiting for it (process owners, admins).",
            DELIVERY_ANSWERS,
            body=json_body("SignalRequest"),
            write=True,
        )
    },
    "/definitions/{key}/migration": {
        "get": operation(
            "planMigration",
            "definitions",
            "Dry run: the running instances on older versions, which can move, and why not.",
            {
                "200": returns("The plan.", ref("MigrationPlan")),
                "403": error("Forbidden"),
                "404": error("NotFound"),
            },
            parameters=[KEY],
        ),
        "post": operation(
            "migrateInstances",
            "definitions",
            "Move the chosen instances (or all that can) to the newest version.",
            {
                "200": returns(
                    "One report per instance; refused ones untouched.", ref("MigrationPlan")
                ),
                "403": error("Forbidden"),
                "404": error("NotFound"),
                "422": error("InvalidData"),
            },
            parameters=[KEY],
            body=json_body("MigrationRequest"),
            write=True,
        ),
    },
    "/definitions/{definition_id}/changes": {
        "get": operation(
            "getModelChanges",
            "definitions",
            "What changed from an earlier (or later) version of the same process model.",
            {
                "200": returns("The changes.", ref("ModelChanges")),
                "400": error("BadRequest"),
                "403": error("Forbidden"),
                "404": error("NotFound"),
            },
            parameters=[
                path_id("definition_id", "The version to compare (the new side)."),
                {
                    **query("from", {"type": "integer", "minimum": 1}, "The other version."),
                    "required": True,
                },
            ],
            description="Process owners and administrators only (403 otherwise). 400 when "
            "`from` is missing or the two definitions are not versions of one BPMN model.",
        )
    },
}
