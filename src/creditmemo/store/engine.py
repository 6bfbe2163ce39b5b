"""Engine factories. SQLite: WAL, foreign keys, and BEGIN IMMEDIATE for writers (pysqlite's deferred
BEGIN would let two writers read, then fail on upgrade); PostgreSQL: psycopg 3, READ COMMITTED plus
explicit row locks taken by the repositories (docs/CONCURRENCY.md), and pipeline mode for writing units
of work: statements that return no rows are queued and sent with the next one that does (or the commit),
so a transaction costs one network round trip per read instead of one per statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from creditmemo.config import normalize_database_url

READONLY = "creditmemo_readonly"
PIPELINE = "creditmemo_pipeline"  # key in Connection.info: the psycopg Pipeline a unit of work opened
# Execution option for a statement without RETURNING whose rowcount the caller reads: wait for it.
ROWCOUNT = {"creditmemo_rowcount": True}
# Execution option for a statement whose result nobody reads (an advisory lock): it stays queued like a write
# and goes with the next read, which the server runs after it (so after the lock is granted).
QUEUED = {"creditmemo_queued": True}


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_database_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", False)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "after_cursor_execute", _sync_pipeline_for_rows)
    return engine


def _sync_pipeline_for_rows(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """In pipeline mode psycopg queues every statement; SQLAlchemy reads a row-returning statement's
    description right after executing it. So: an INSERT/UPDATE/DELETE without RETURNING stays queued
    (unless marked ``ROWCOUNT``), as does a statement marked ``QUEUED``; anything else (SELECT, RETURNING,
    text) syncs the pipeline now, sending whatever was queued with it.
    Errors of queued statements surface here or at commit, inside SQLAlchemy's error handling."""
    pipeline = conn.info.get(PIPELINE)
    if pipeline is None:
        return
    if context.execution_options.get("creditmemo_queued"):
        return
    compiled = context.compiled
    if (
        context.is_crud
        and compiled is not None
        and not compiled.effective_returning
        and not context.execution_options.get("creditmemo_rowcount")
    ):
        return
    pipeline.sync()


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    kwargs.setdefault("poolclass", QueuePool)
    kwargs.setdefault("pool_size", 5)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get(READONLY, False)
        # Straight to the driver: this runs for every transaction, and needs no parameters or result.
        conn.connection.dbapi_connection.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def is_postgres(engine_or_conn: Any) -> bool:
    return bool(engine_or_conn.dialect.name == "postgresql")
