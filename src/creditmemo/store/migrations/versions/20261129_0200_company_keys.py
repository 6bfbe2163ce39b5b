"""company keys: every key of a company's table includes company_id, so the schema distributes by company

Revision ID: 0005_company_keys
Revises: 0004_audit_sealer
Create Date: 2026-11-29 02:00:00

Primary keys (id) become (company_id, id), journal lines' (company_id, entry_id, line_no) (their surrogate
id goes: nothing refers to it); foreign keys between company tables become composite, (company_id, x) ->
(company_id, id); indexes on a parent id become (company_id, parent id); users get a unique (company_id, id)
for the (company_id, user_id) keys of API keys and saved views. Rows are kept as they are.

PostgreSQL: the old foreign keys are dropped first (they depend on the primary keys they point at), then
the keys and indexes swapped, then the new foreign keys created (which checks every row). SQLite: each table
is rebuilt once in batch mode, with foreign keys off (creditmemo.store.migrate turns them off, and checks
them all before the commit). Names follow the naming convention of store/tables.py.
"""

# No `from __future__ import annotations` here: Alembic loads this file outside sys.modules, where a
# dataclass cannot resolve string annotations.
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import op

revision = "0005_company_keys"
down_revision = "0004_audit_sealer"
branch_labels = None
depends_on = None

Cols = tuple[str, ...]
ID: Cols = ("id",)
COMPANY_ID: Cols = ("company_id", "id")


@dataclass(frozen=True)
class Fk:
    table: str
    columns: Cols
    referred: str
    referred_columns: Cols

    @property
    def name(self) -> str:
        return f"fk_{self.table}_{'_'.join(self.columns)}_{self.referred}"


@dataclass(frozen=True)
class Change:
    """One table, before and after (each pair is (old, new); None where there is nothing on that side)."""

    table: str
    pk: tuple[Cols, Cols] | None = None
    fks: tuple[tuple[Fk, Fk], ...] = ()
    indexes: tuple[tuple[tuple[str, Cols] | None, tuple[str, Cols] | None], ...] = ()
    uniques: tuple[tuple[tuple[str, Cols] | None, tuple[str, Cols] | None], ...] = ()
    # The surrogate journal_lines.id: present before, gone after.
    drop_id: bool = False

    def reversed(self) -> "Change":
        return Change(
            self.table,
            None if self.pk is None else (self.pk[1], self.pk[0]),
            tuple((new, old) for old, new in self.fks),
            tuple((new, old) for old, new in self.indexes),
            tuple((new, old) for old, new in self.uniques),
            self.drop_id,
        )


def _fk(table: str, column: str, referred: str) -> tuple[Fk, Fk]:
    """``table.column -> referred.id`` becomes ``(company_id, column) -> referred (company_id, id)``."""
    return Fk(table, (column,), referred, ID), Fk(table, ("company_id", column), referred, COMPANY_ID)


def _ix(old: str, column: str, new: str) -> tuple[tuple[str, Cols], tuple[str, Cols]]:
    return (old, (column,)), (new, ("company_id", column))


CHANGES = (
    Change(
        "users",
        indexes=((("ix_users_company_id", ("company_id",)), None),),
        uniques=((None, ("uq_users_company_id", COMPANY_ID)),),
    ),
    Change("api_keys", fks=(_fk("api_keys", "user_id", "users"),)),
    Change("customers", pk=(ID, COMPANY_ID)),
    Change("invoices", pk=(ID, COMPANY_ID), fks=(_fk("invoices", "customer_id", "customers"),)),
    Change(
        "invoice_lines",
        pk=(ID, COMPANY_ID),
        fks=(_fk("invoice_lines", "invoice_id", "invoices"),),
        indexes=(_ix("ix_invoice_lines_invoice_id", "invoice_id", "ix_invoice_lines_company_invoice"),),
    ),
    Change(
        "memos",
        pk=(ID, COMPANY_ID),
        fks=(_fk("memos", "customer_id", "customers"), _fk("memos", "invoice_id", "invoices")),
    ),
    Change(
        "memo_lines",
        pk=(ID, COMPANY_ID),
        fks=(_fk("memo_lines", "memo_id", "memos"), _fk("memo_lines", "invoice_line_id", "invoice_lines")),
        indexes=(_ix("ix_memo_lines_memo_id", "memo_id", "ix_memo_lines_company_memo"),),
    ),
    Change("journal_entries", pk=(ID, COMPANY_ID)),
    Change(
        "journal_lines",
        pk=(ID, ("company_id", "entry_id", "line_no")),
        fks=(_fk("journal_lines", "entry_id", "journal_entries"),),
        indexes=((("ix_journal_lines_entry_id", ("entry_id",)), None),),
        drop_id=True,
    ),
    Change("payments", pk=(ID, COMPANY_ID), fks=(_fk("payments", "customer_id", "customers"),)),
    Change("applications", pk=(ID, COMPANY_ID)),
    Change("refunds", pk=(ID, COMPANY_ID)),
    Change(
        "approvals",
        pk=(ID, COMPANY_ID),
        fks=(_fk("approvals", "memo_id", "memos"),),
        indexes=(_ix("ix_approvals_memo_id", "memo_id", "ix_approvals_company_memo"),),
    ),
    Change("saved_views", pk=(ID, COMPANY_ID), fks=(_fk("saved_views", "user_id", "users"),)),
)


def _journal_line_id() -> sa.Column:
    """The surrogate key journal lines had before (downgrade): numbered afresh."""
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(), nullable=False)


def _rebuild_sqlite(change: Change, upgrading: bool) -> None:
    """One table rebuilt once, with everything the change does."""
    with op.batch_alter_table(change.table, recreate="always") as batch_op:
        for old_fk, _ in change.fks:
            batch_op.drop_constraint(old_fk.name, type_="foreignkey")
        for old_ix, _ in change.indexes:
            if old_ix is not None:
                batch_op.drop_index(old_ix[0])
        for old_uq, _ in change.uniques:
            if old_uq is not None:
                batch_op.drop_constraint(old_uq[0], type_="unique")
        if change.pk is not None:
            batch_op.drop_constraint(f"pk_{change.table}", type_="primary")
        if change.drop_id:
            if upgrading:
                batch_op.drop_column("id")
            else:
                batch_op.add_column(sa.Column("id", sa.Integer(), nullable=False), insert_before="entry_id")
        if change.pk is not None:
            batch_op.create_primary_key(f"pk_{change.table}", list(change.pk[1]))
        for _, new_uq in change.uniques:
            if new_uq is not None:
                batch_op.create_unique_constraint(new_uq[0], list(new_uq[1]))
        for _, new_fk in change.fks:
            batch_op.create_foreign_key(
                new_fk.name, new_fk.referred, list(new_fk.columns), list(new_fk.referred_columns)
            )
        for _, new_ix in change.indexes:
            if new_ix is not None:
                batch_op.create_index(new_ix[0], list(new_ix[1]), unique=False)


def _alter_postgresql(changes: list[Change], upgrading: bool) -> None:
    """Foreign keys out, keys swapped, foreign keys back in (a key cannot go while a foreign key needs it)."""
    for change in changes:
        for old_fk, _ in change.fks:
            op.drop_constraint(old_fk.name, change.table, type_="foreignkey")
    for change in changes:
        for old_ix, _ in change.indexes:
            if old_ix is not None:
                op.drop_index(old_ix[0], table_name=change.table)
        for old_uq, _ in change.uniques:
            if old_uq is not None:
                op.drop_constraint(old_uq[0], change.table, type_="unique")
        if change.pk is not None:
            op.drop_constraint(f"pk_{change.table}", change.table, type_="primary")
        if change.drop_id:
            if upgrading:
                op.drop_column(change.table, "id")
            else:
                op.add_column(change.table, _journal_line_id())
        if change.pk is not None:
            op.create_primary_key(f"pk_{change.table}", change.table, list(change.pk[1]))
        for _, new_uq in change.uniques:
            if new_uq is not None:
                op.create_unique_constraint(new_uq[0], change.table, list(new_uq[1]))
        for _, new_ix in change.indexes:
            if new_ix is not None:
                op.create_index(new_ix[0], change.table, list(new_ix[1]), unique=False)
    for change in changes:
        for _, new_fk in change.fks:
            op.create_foreign_key(
                new_fk.name, change.table, new_fk.referred, list(new_fk.columns), list(new_fk.referred_columns)
            )


def _apply(changes: list[Change], upgrading: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        if op.get_bind().exec_driver_sql("PRAGMA foreign_keys").scalar():
            raise RuntimeError(
                "SQLite foreign keys must be off while tables are rebuilt: run this migration "
                "through `creditmemo db upgrade` (creditmemo.store.migrate)."
            )
        for change in changes:
            _rebuild_sqlite(change, upgrading)
    else:
        _alter_postgresql(changes, upgrading)


def upgrade() -> None:
    _apply(list(CHANGES), upgrading=True)


def downgrade() -> None:
    # Journal lines get a fresh surrogate id; everything else is as it was at 0004.
    _apply([c.reversed() for c in CHANGES], upgrading=False)
