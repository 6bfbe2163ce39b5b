"""automatic credits: service periods on invoice and memo lines, SLA incidents and next-invoice credits

Revision ID: 0006_automatic_credits
Revises: 0005_company_keys
Create Date: 2026-11-29 04:00:00

Adds nullable columns (and one boolean with a default), a CHECK that an invoice line's service period has
both ends in order, and a unique (company_id, customer_id, incident_reference) on memos. Existing rows keep
their values: no service period, no incident, applied as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_automatic_credits"
down_revision = "0005_company_keys"
branch_labels = None
depends_on = None

PERIOD_CHECK = (
    "(service_start IS NULL AND service_end IS NULL) OR "
    "(service_start IS NOT NULL AND service_end IS NOT NULL AND service_end >= service_start)"
)


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("auto_apply_credit", sa.Boolean(), nullable=True))
    with op.batch_alter_table("invoice_lines") as batch_op:
        batch_op.add_column(sa.Column("service_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("service_end", sa.Date(), nullable=True))
        batch_op.create_check_constraint("service_period", sa.text(PERIOD_CHECK))
    with op.batch_alter_table("memo_lines") as batch_op:
        batch_op.add_column(sa.Column("service_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("service_end", sa.Date(), nullable=True))
    with op.batch_alter_table("memos") as batch_op:
        batch_op.add_column(sa.Column("incident_reference", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("apply_to_next_invoice", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("computation", sa.JSON(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_memos_company_customer_incident", ["company_id", "customer_id", "incident_reference"]
        )


def downgrade() -> None:
    with op.batch_alter_table("memos") as batch_op:
        batch_op.drop_constraint("uq_memos_company_customer_incident", type_="unique")
        batch_op.drop_column("computation")
        batch_op.drop_column("apply_to_next_invoice")
        batch_op.drop_column("incident_reference")
    with op.batch_alter_table("memo_lines") as batch_op:
        batch_op.drop_column("service_end")
        batch_op.drop_column("service_start")
    with op.batch_alter_table("invoice_lines") as batch_op:
        batch_op.drop_constraint("service_period", type_="check")
        batch_op.drop_column("service_end")
        batch_op.drop_column("service_start")
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("auto_apply_credit")
