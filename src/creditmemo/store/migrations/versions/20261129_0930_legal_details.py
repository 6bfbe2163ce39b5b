"""legal details: the legal name, postal address and tax ID of the company and of each customer

Revision ID: 0017_legal_details
Revises: 0018_audit_anchors
Create Date: 2026-11-29 08:17:00

Seven nullable columns on companies and on customers (issue 18 item 5: the document a customer receives shows
both parties' legal details). Existing rows have none; their documents show the account name as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_legal_details"
down_revision = "0018_audit_anchors"
branch_labels = None
depends_on = None

COLUMNS = (
    ("legal_name", 200),
    ("address_line1", 200),
    ("address_line2", 200),
    ("postal_code", 20),
    ("city", 100),
    ("country", 2),
    ("tax_id", 50),
)


def upgrade() -> None:
    for table in ("companies", "customers"):
        with op.batch_alter_table(table) as batch_op:
            for name, length in COLUMNS:
                batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    for table in ("customers", "companies"):
        with op.batch_alter_table(table) as batch_op:
            for name, _ in reversed(COLUMNS):
                batch_op.drop_column(name)
