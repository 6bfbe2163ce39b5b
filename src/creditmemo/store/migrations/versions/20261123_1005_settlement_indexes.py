"""settlement indexes: applications by customer and date (customer statements)

Revision ID: 0002_settlement
Revises: 0001
Create Date: 2026-11-23 10:05:00
"""

from alembic import op

revision = "0002_settlement"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_applications_company_customer_date", ["company_id", "customer_id", "applied_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_company_customer_date")
