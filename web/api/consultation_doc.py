"""The OpenAPI ``paths`` and ``schemas`` of the public consultation: a draft's comment ledger
(for whoever may see the draft) and the public list of drafts in consultation (anonymous).
Kept apart from :mod:`web.api.paths` and :mod:`web.api.schemas` like :mod:`.owner_doc`."""

from __future__ import annotations

from web.api.paths import DRAFT_ID, error, operation, query, returns
from web.api.schemas import BOOLEAN, DATE_TIME, INTEGER, STRING, Schema, nullable, record, ref
from workflows.consultation.ledger import ANSWERS, SOURCES

VERSION: Schema = {"type": ["integer", "null"], "minimum": 1}

CONSULTATION_SCHEMAS: dict[str, Schema] = {
    "LedgerAnswer": record(
        {
            "answer": {"type": "string", "enum": list(ANSWERS)},
            "article": nullable(STRING),
            "note": {"type": "string", "description": "What was changed, or why not."},
            "answered_by": STRING,
            "answered_at": DATE_TIME,
        },
        "The drafter's answer to one entry.",
    ),
    "LedgerEntry": record(
        {
            "key": {"type": "string", "description": "public:<comment id> or <source>:<task id>"},
            "source": {"type": "string", "enum": list(SOURCES)},
            "author": STRING,
            "organisation": {
                **nullable(STRING),
                "description": "The commenter's organisation as typed (public) or the code "
                "of the agency that gave the opinion.",
            },
            "article": {
                **nullable(STRING),
                "description": "Article number; null: the whole draft.",
            },
            "text": STRING,
            "agrees": {
                "type": ["boolean", "null"],
                "description": "Agrees with the draft (agency, Front) or finds it ready "
                "(appraisal, examination); null for the public.",
            },
            "pending_moderation": BOOLEAN,
            "version": {**VERSION, "description": "The draft version the opinion was made on."},
            "carried_over": {
                "type": "boolean",
                "description": "Made on an earlier version than the current one.",
            },
            "answer": {"anyOf": [ref("LedgerAnswer"), {"type": "null"}]},
        },
        "One opinion on the draft and its answer.",
    ),
    "Ledger": record(
        {
            "draft_id": INTEGER,
            "current_version": VERSION,
            "counts": record(
                {
                    "comments_received": INTEGER,
                    "comments_accepted": INTEGER,
                    "comments_explained": INTEGER,
                },
                "Counts over the whole ledger (what the synthesis records).",
            ),
            "entries": {"type": "array", "items": ref("LedgerEntry")},
        },
        "The comment ledger of a draft (filtered entries, counts over all).",
    ),
    "PublicDraft": record(
        {
            "id": INTEGER,
            "code": STRING,
            "title": STRING,
            "lead_agency": STRING,
            "summary": nullable(STRING),
            "open": {"type": "boolean", "description": "Open for comment now."},
            "closes_at": nullable(DATE_TIME),
            "closes_on": nullable({"type": "string", "format": "date"}),
            "days_left": {"type": ["integer", "null"], "minimum": 0},
            "days_unit": {
                "type": ["string", "null"],
                "enum": ["working_days", "calendar_days", None],
            },
            "url": {"type": "string", "description": "The draft's public page."},
        },
        "A draft in public consultation.",
    ),
    "PublicDraftList": record(
        {
            "items": {"type": "array", "items": ref("PublicDraft")},
            "total": {"type": "integer", "minimum": 0},
        },
        "The drafts in consultation, newest first (at most 200).",
    ),
}

CONSULTATION_PATHS: dict[str, Schema] = {
    "/drafts/{draft_id}/ledger": {
        "get": operation(
            "getLedger",
            "consultation",
            "The comment ledger of a draft: every opinion, its source and its answer.",
            {"200": returns("The ledger.", ref("Ledger")), "404": error("NotFound")},
            parameters=[
                DRAFT_ID,
                query("source", {"type": "string", "enum": list(SOURCES)}, "Only this source."),
                query(
                    "article",
                    {"type": "string", "maxLength": 20},
                    "Only entries on this article number ('whole': on the whole draft).",
                ),
            ],
            description="Whoever may see the draft (404 otherwise, as for the draft). "
            "Commenters' e-mail addresses are not listed.",
        )
    },
    "/public/drafts": {
        "get": {
            "operationId": "listPublicDrafts",
            "tags": ["consultation"],
            "summary": "The drafts in public consultation (no sign-in needed).",
            "security": [],
            "parameters": [
                query("q", {"type": "string", "maxLength": 200}, "Search, accents ignored.")
            ],
            "responses": {
                "200": returns("The drafts.", ref("PublicDraftList")),
                "400": error("BadRequest"),
            },
        }
    },
}
