"""Alembic environment: runs against the connection handed in by creditmemo.store.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from creditmemo.config import normalize_database_url
from creditmemo.store.migrate import migrating
from creditmemo.store.tables import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    engine = create_engine(normalize_database_url(config.get_main_option("sqlalchemy.url") or ""))
    with migrating(engine) as conn:  # SQLite: foreign keys off while batch mode rebuilds tables
        _run_with(conn)


def _run_with(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]  # Alembic's stubs want a Connection, not None
        target_metadata=metadata,
        render_as_batch=True,  # SQLite ALTERs go through table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
