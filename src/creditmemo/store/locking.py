"""Row locks, taken one way everywhere. The order in which a transaction may take them is in
docs/CONCURRENCY.md; every service follows it, and this module is the one place that says how a row
is locked.

- Strength: ``FOR NO KEY UPDATE``, never ``FOR UPDATE``. We never change a key column or delete a row,
  and the weaker lock does not conflict with the ``FOR KEY SHARE`` lock a foreign-key check takes, so
  inserting a memo line never waits for (or deadlocks with) a transaction that locked its invoice line,
  invoice, memo or customer.
- ``lock_then_read``: on PostgreSQL a row is locked by a no-op UPDATE (``SET col = col``, which takes the
  same NO KEY UPDATE lock) sent in the same pipeline flight as the SELECT that reads it with its lines.
  READ COMMITTED gives each statement a fresh snapshot, and the SELECT starts only after the UPDATE has
  the lock, so it reads what the previous lock holder committed: a locked read in one round trip.
  SQLite has no row locks: its writers hold the database lock from BEGIN IMMEDIATE.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Select, Table, Text, Update, bindparam, func, select, update

from creditmemo.store.engine import QUEUED


def locked(stmt: Select[Any]) -> Select[Any]:
    """The row lock every repository takes: FOR NO KEY UPDATE (see the module docstring)."""
    return stmt.with_for_update(key_share=True)


def shared(stmt: Select[Any]) -> Select[Any]:
    """FOR SHARE: the lock every dated write takes on its company's period state (``period_states``), so that
    closing a period (which locks that row with ``locked``, FOR NO KEY UPDATE) waits for the writes in flight,
    and writes that come after the close wait for it and then read the closed month. Share locks do not
    conflict with each other, and PostgreSQL grants one at once while only other share locks are held, even
    when a close is already waiting: so a write never queues behind a waiting close, and the close (which
    holds no other lock) can never be part of a deadlock (docs/CONCURRENCY.md, the period step)."""
    return stmt.with_for_update(read=True)


def touch(table: Table, column: Column[Any], *where: ColumnElement[bool]) -> Update:
    """A no-op UPDATE that locks the matching rows FOR NO KEY UPDATE without reading them back."""
    return update(table).where(*where).values({column: column})


def bump(table: Table, column: Column[int], *where: ColumnElement[bool]) -> Update:
    """An UPDATE that adds one to a version column: it locks the matching rows (FOR NO KEY UPDATE, as
    ``touch``) and tells every reader that caches what the version guards to read it again."""
    return update(table).where(*where).values({column: column + 1})


_advisory = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("b_key", type_=Text), 0)))


def lock_key(conn: Connection, *parts: str) -> None:
    """A transaction-scoped lock on a name (PostgreSQL advisory lock on a 64-bit hash of the parts) for what has
    no row to lock yet, e.g. "one SLA credit per incident": two transactions with the same parts run one after
    the other; what the second reads after this is what the first committed. Step 0 of the lock order: taken
    before any row lock. SQLite needs none (its writers hold the database lock)."""
    if conn.dialect.name == "postgresql":
        # Queued (pipeline mode): sent with the next read, which the server runs once the lock is granted.
        conn.execute(_advisory, {"b_key": "\x1f".join(parts)}, execution_options=QUEUED)


def lock_revenue_run(conn: Connection, company_id: str) -> None:
    """A recognition run (issue 12) holds its company's revenue-run lock from before its first read to its
    commit (step 0, docs/CONCURRENCY.md): two runs at once run one after the other, and the second reads what
    the first committed, so it finds nothing left to recognize. No other transaction takes this lock; the
    run then updates only revenue schedule rows, which no other transaction updates."""
    lock_key(conn, "revenue_run", company_id)
