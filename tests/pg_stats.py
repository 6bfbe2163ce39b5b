"""PostgreSQL's own count of deadlocks (``pg_stat_database.deadlocks``) for the databases the suite uses.

A deadlock is counted by the backend that detected it and flushed to the shared statistics when that
backend ends (or, idle, within about a second), so a reader first lets the database's backends go: stop the
processes that hold connections, then ``deadlocks(url)`` waits (a few seconds at most) until no backend of
that database is left and reads the counter after ``pg_stat_clear_snapshot()``.

``RECORDED`` keeps the count of every database the suite looked at, including the stress databases that
are dropped when their test ends; the session fails at its end when any of them counted a deadlock
(tests/conftest.py)."""

from __future__ import annotations

import time

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

RECORDED: dict[str, int] = {}  # database name -> deadlocks PostgreSQL counted in it


def database_name(url: str) -> str:
    name = make_url(url).database
    assert name, url
    return name


def admin_engine(url: str) -> Engine:
    """An AUTOCOMMIT engine on the server's ``postgres`` database (to create, drop and watch others)."""
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def backends(conn, name: str) -> int:
    return int(
        conn.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name}
        ).scalar_one()
    )


def deadlocks(url: str, *, settle: float = 3.0) -> int:
    """The deadlocks PostgreSQL counted in the database of ``url``, once its backends are gone (waiting at
    most ``settle`` seconds; a backend still connected then is given the second an idle backend takes to
    flush its statistics). ``settle=0`` reads at once (what has been flushed so far)."""
    name = database_name(url)
    engine = admin_engine(url)
    try:
        with engine.connect() as conn:
            if settle > 0:
                deadline = time.monotonic() + settle
                left = backends(conn, name)
                while left and time.monotonic() < deadline:
                    time.sleep(0.1)
                    left = backends(conn, name)
                if left:
                    time.sleep(1.2)
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            value = conn.execute(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = :n"), {"n": name}
            ).scalar()
    finally:
        engine.dispose()
    return int(value or 0)


def record(url: str, *, settle: float = 3.0) -> int:
    count = deadlocks(url, settle=settle)
    RECORDED[database_name(url)] = count
    return count


def recreate_database(url: str) -> None:
    name = database_name(url)
    engine = admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def drop_database(url: str) -> None:
    name = database_name(url)
    engine = admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
