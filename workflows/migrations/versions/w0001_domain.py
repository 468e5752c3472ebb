"""Domain schema: organisations, users and roles, calendar, deadline rules, drafts, dossier,
registry, plan, notifications.

Revision ID: w0001
Revises: e0001
Create Date: 2026-11-23 20:17:10.385704
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision = "w0001"
down_revision = "e0001"
branch_labels = ("workflows",)
depends_on = None


def upgrade() -> None:

    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_day")),
    )
    op.create_table(
        "deadline_rule",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("procedure", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_rule")),
        sa.UniqueConstraint(
            "document_type",
            "procedure",
            "step",
            "effective_from",
            name=op.f("uq_deadline_rule_document_type_procedure_step_effective_from"),
        ),
    )
    op.create_table(
        "document_number",
        sa.Column("issuing_body", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("suffix", sa.String(length=20), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("issuing_body", "year", "suffix", name=op.f("pk_document_number")),
    )
    op.create_table(
        "organisation",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("parent_code", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["organisation.code"],
            name=op.f("fk_organisation_parent_code_organisation"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_organisation")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_api_token_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_token_token_sha256")),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"], unique=False)
    op.create_table(
        "plan_item",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("lead_agency", sa.String(length=40), nullable=False),
        sa.Column("target_session", sa.String(length=200), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_agency"],
            ["organisation.code"],
            name=op.f("fk_plan_item_lead_agency_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_item")),
    )
    op.create_index(op.f("ix_plan_item_year"), "plan_item", ["year"], unique=False)
    op.create_table(
        "role_assignment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("organisation_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_code"],
            ["organisation.code"],
            name=op.f("fk_role_assignment_organisation_code_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_role_assignment_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignment")),
        sa.UniqueConstraint(
            "user_id",
            "role",
            "organisation_code",
            name=op.f("uq_role_assignment_user_id_role_organisation_code"),
        ),
    )
    op.create_index(
        op.f("ix_role_assignment_user_id"), "role_assignment", ["user_id"], unique=False
    )
    op.create_table(
        "regulation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("issuing_body", sa.String(length=40), nullable=False),
        sa.Column("lead_agency", sa.String(length=40), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column(
            "monitoring_instance_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuing_body"],
            ["organisation.code"],
            name=op.f("fk_regulation_issuing_body_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_agency"],
            ["organisation.code"],
            name=op.f("fk_regulation_lead_agency_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["monitoring_instance_id"],
            ["process_instance.id"],
            name=op.f("fk_regulation_monitoring_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regulation")),
        sa.UniqueConstraint(
            "issuing_body", "number", name=op.f("uq_regulation_issuing_body_number")
        ),
    )
    op.create_index(
        op.f("ix_regulation_document_type"), "regulation", ["document_type"], unique=False
    )
    op.create_index(op.f("ix_regulation_status"), "regulation", ["status"], unique=False)
    op.create_table(
        "draft",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("issuing_body", sa.String(length=40), nullable=False),
        sa.Column("lead_agency", sa.String(length=40), nullable=False),
        sa.Column("commune", sa.String(length=40), nullable=True),
        sa.Column("plan_year", sa.Integer(), nullable=False),
        sa.Column("target_session", sa.String(length=200), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("ground", sa.String(length=40), nullable=False),
        sa.Column("procedure", sa.String(length=20), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "instance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("plan_item_id", sa.Integer(), nullable=True),
        sa.Column("follows_regulation_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_kind", sa.String(length=20), nullable=True),
        sa.Column("rules_as_of", sa.Date(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["follows_regulation_id"],
            ["regulation.id"],
            name=op.f("fk_draft_follows_regulation_id_regulation"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_draft_instance_id_process_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["issuing_body"], ["organisation.code"], name=op.f("fk_draft_issuing_body_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["lead_agency"], ["organisation.code"], name=op.f("fk_draft_lead_agency_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["plan_item_id"], ["plan_item.id"], name=op.f("fk_draft_plan_item_id_plan_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft")),
        sa.UniqueConstraint("code", name=op.f("uq_draft_code")),
    )
    op.create_index(op.f("ix_draft_document_type"), "draft", ["document_type"], unique=False)
    op.create_index(op.f("ix_draft_lead_agency"), "draft", ["lead_agency"], unique=False)
    op.create_index(op.f("ix_draft_stage"), "draft", ["stage"], unique=False)
    op.create_table(
        "impact_assessment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("regulation_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("impact", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("assessed_by", sa.String(length=100), nullable=False),
        sa.Column("assessed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["regulation_id"],
            ["regulation.id"],
            name=op.f("fk_impact_assessment_regulation_id_regulation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_assessment")),
    )
    op.create_index(
        op.f("ix_impact_assessment_regulation_id"),
        "impact_assessment",
        ["regulation_id"],
        unique=False,
    )
    op.create_table(
        "regulation_link",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["regulation.id"], name=op.f("fk_regulation_link_source_id_regulation")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["regulation.id"], name=op.f("fk_regulation_link_target_id_regulation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regulation_link")),
    )
    op.create_index(
        op.f("ix_regulation_link_source_id"), "regulation_link", ["source_id"], unique=False
    )
    op.create_index(
        op.f("ix_regulation_link_target_id"), "regulation_link", ["target_id"], unique=False
    )
    op.create_table(
        "document_version",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["draft.id"], name=op.f("fk_document_version_draft_id_draft")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_version")),
        sa.UniqueConstraint(
            "draft_id",
            "item_code",
            "version",
            name=op.f("uq_document_version_draft_id_item_code_version"),
        ),
    )
    op.create_index(
        op.f("ix_document_version_draft_id"), "document_version", ["draft_id"], unique=False
    )
    op.create_table(
        "draft_comment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["draft.id"], name=op.f("fk_draft_comment_draft_id_draft")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_comment")),
    )
    op.create_index(op.f("ix_draft_comment_draft_id"), "draft_comment", ["draft_id"], unique=False)
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.Column("emailed_at", UTCDateTime(), nullable=True),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["draft.id"], name=op.f("fk_notification_draft_id_draft")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint(
            "recipient",
            "kind",
            "dedupe_key",
            name=op.f("uq_notification_recipient_kind_dedupe_key"),
        ),
    )
    op.create_index(op.f("ix_notification_recipient"), "notification", ["recipient"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_notification_recipient"), table_name="notification")
    op.drop_table("notification")
    op.drop_index(op.f("ix_draft_comment_draft_id"), table_name="draft_comment")
    op.drop_table("draft_comment")
    op.drop_index(op.f("ix_document_version_draft_id"), table_name="document_version")
    op.drop_table("document_version")
    op.drop_index(op.f("ix_regulation_link_target_id"), table_name="regulation_link")
    op.drop_index(op.f("ix_regulation_link_source_id"), table_name="regulation_link")
    op.drop_table("regulation_link")
    op.drop_index(op.f("ix_impact_assessment_regulation_id"), table_name="impact_assessment")
    op.drop_table("impact_assessment")
    op.drop_index(op.f("ix_draft_stage"), table_name="draft")
    op.drop_index(op.f("ix_draft_lead_agency"), table_name="draft")
    op.drop_index(op.f("ix_draft_document_type"), table_name="draft")
    op.drop_table("draft")
    op.drop_index(op.f("ix_regulation_status"), table_name="regulation")
    op.drop_index(op.f("ix_regulation_document_type"), table_name="regulation")
    op.drop_table("regulation")
    op.drop_index(op.f("ix_role_assignment_user_id"), table_name="role_assignment")
    op.drop_table("role_assignment")
    op.drop_index(op.f("ix_plan_item_year"), table_name="plan_item")
    op.drop_table("plan_item")
    op.drop_index(op.f("ix_api_token_user_id"), table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("organisation")
    op.drop_table("document_number")
    op.drop_table("deadline_rule")
    op.drop_table("calendar_day")
    op.drop_table("app_user")
