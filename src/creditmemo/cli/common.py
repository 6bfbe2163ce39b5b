"""What every command shares: the database option, JSON output, and domain errors as one line on stderr."""

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from creditmemo.config import Settings
from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.store.uow import Database, UnitOfWork

T = TypeVar("T")

out = Console()
err = Console(stderr=True)

DbUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", envvar="DATABASE_URL", help="SQLAlchemy URL; default: the SQLite file creditmemo.db."
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def database(url: str | None, *, sealing: str = "inline") -> Database:
    return Database(url or Settings().database_url, sealing=sealing)


def fail(error: DomainError) -> NoReturn:
    """A domain error becomes one line on stderr naming its code and field, and exit status 1."""
    where = f" ({error.field})" if error.field else ""
    err.print(f"[red]error[/red] {error.code}{where}: {error.detail}", highlight=False)
    if isinstance(error, ValidationFailedError):
        for e in error.errors[1:]:
            err.print(f"      {e.code} ({e.field}): {e.message}", highlight=False)
    raise typer.Exit(1)


def in_uow(database_url: str | None, fn: Callable[[UnitOfWork], T], *, readonly: bool = False) -> T:
    """``fn`` in one unit of work (a transaction retried on a deadlock when it writes); a domain error
    ends the command with its one line (``fail``)."""
    try:
        db = database(database_url)
        if readonly:
            with db.uow(readonly=True) as uow:
                return fn(uow)
        return db.transact(fn)
    except DomainError as e:
        fail(e)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
