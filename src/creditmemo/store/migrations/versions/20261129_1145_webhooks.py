"""webhooks: endpoints, their subscriptions, the outbox and the delivery attempts

Revision ID: 0019_webhooks
Revises: 0023_unapplied_on
Create Date: 2026-11-29 11:45:00

New tables; nothing existing changes.
"""

import sqlalchemy as sa
from alembic import op

from creditmemo.store.types import UTCDateTime

revision = "0019_webhooks"
down_revision = "0023_unapplied_on"
branch_labels = None
depends_on = None

ID = sa.String(length=40)
ENDPOINT_FK = (["company_id", "endpoint_id"], ["webhook_endpoints.company_id", "webhook_endpoints.id"])


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("company_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", ID),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_webhook_endpoints_company_id_companies"),
        sa.PrimaryKeyConstraint("company_id", "id", name="pk_webhook_endpoints"),
        sa.CheckConstraint("status IN ('active', 'disabled', 'deleted')", name="ck_webhook_endpoints_status"),
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("company_id", ID, nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("endpoint_id", ID, nullable=False),
        sa.ForeignKeyConstraint(*ENDPOINT_FK, name="fk_webhook_subscriptions_endpoint"),
        sa.PrimaryKeyConstraint("company_id", "event_type", "endpoint_id", name="pk_webhook_subscriptions"),
    )
    op.create_table(
        "webhook_outbox",
        sa.Column("company_id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("endpoint_id", ID, nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("position", sa.String(length=60), nullable=False),
        sa.Column("payload", sa.JSON()),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("give_up_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", UTCDateTime(timezone=True)),
        sa.ForeignKeyConstraint(*ENDPOINT_FK, name="fk_webhook_outbox_endpoint"),
        sa.PrimaryKeyConstraint("company_id", "event_id", "endpoint_id", name="pk_webhook_outbox"),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed', 'cancelled')", name="ck_webhook_outbox_status"
        ),
    )
    op.create_index("ix_webhook_outbox_status_due", "webhook_outbox", ["status", "next_attempt_at"])
    op.create_index(
        "ix_webhook_outbox_company_document", "webhook_outbox", ["company_id", "endpoint_id", "document_id", "position"]
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("company_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("endpoint_id", ID, nullable=False),
        sa.Column("attempted_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("response", sa.String(length=500)),
        sa.Column("error", sa.String(length=500)),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "id", name="pk_webhook_attempts"),
    )
    op.create_index(
        "ix_webhook_attempts_company_endpoint", "webhook_attempts", ["company_id", "endpoint_id", "attempted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_attempts_company_endpoint", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_outbox_company_document", table_name="webhook_outbox")
    op.drop_index("ix_webhook_outbox_status_due", table_name="webhook_outbox")
    op.drop_table("webhook_outbox")
    op.drop_table("webhook_subscriptions")
    op.drop_table("webhook_endpoints")
