"""`creditmemo revenue recognize --through DATE [--company SLUG]`: the recognition run (issue 12)."""

from __future__ import annotations

from typing import Annotated

import typer

from creditmemo.cli.common import DbUrl, Json, database, emit_json, fail, out
from creditmemo.cli.settlement import writer
from creditmemo.domain.errors import DomainError
from creditmemo.services.revenue import RecognitionRun, recognize
from creditmemo.store.uow import UnitOfWork


def register(app: typer.Typer) -> None:
    revenue_app = typer.Typer(help="Revenue schedules (ASC 606).", no_args_is_help=True)
    app.add_typer(revenue_app, name="revenue")

    @revenue_app.command("recognize")
    def recognize_cmd(
        through: Annotated[str, typer.Option("--through", help="Recognize what is due on or before this date.")],
        company: Annotated[str | None, typer.Option("--company", help="Company slug; default every company.")] = None,
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Move deferred revenue due through DATE to revenue: one journal entry per company and month (Dr
        deferred revenue, Cr each line's revenue account). Idempotent: a second run, or a run through an
        earlier date, posts nothing. Safe to run twice at once: one posts, the other finds nothing left."""
        db = database(database_url)
        results: list[tuple[str, RecognitionRun]] = []
        try:
            with db.uow(readonly=True) as uow:
                slugs = [company] if company else uow.companies.slugs()
            for slug in sorted(slugs):

                def run_one(uow: UnitOfWork, slug: str = slug) -> RecognitionRun:
                    return recognize(uow, writer(uow, slug), through=through)

                results.append((slug, db.transact(run_one)))
        except DomainError as problem:
            fail(problem)
        finally:
            db.dispose()
        if as_json:
            emit_json(
                [
                    {
                        "company": slug,
                        "run_id": run.run_id,
                        "through": run.through.isoformat(),
                        "entries": [
                            {
                                "journal_entry_id": e.entry_id,
                                "date": e.on.isoformat(),
                                "month": f"{e.month:%Y-%m}",
                                "currency": e.amount.currency,
                                "amount": str(e.amount.amount),
                            }
                            for e in run.entries
                        ],
                    }
                    for slug, run in results
                ]
            )
            return
        for slug, run in results:
            if not run.entries:
                out.print(f"{slug}: nothing to recognize through {run.through}")
                continue
            for e in run.entries:
                out.print(f"{slug}: {e.month:%Y-%m} recognized {e.amount} (journal entry {e.entry_id})")
