"""`creditmemo audit verify [--company SLUG]`: seal what is pending, then walk each company's hash chain;
exit 1 naming the first event altered, inserted or removed behind the application's back.
`creditmemo audit seal [--watch]`: chain committed events that are waiting (store/sealer.py)."""

from typing import Annotated

import typer

from creditmemo.cli.common import DbUrl, Json, database, emit_json, err, fail, out
from creditmemo.domain.errors import DomainError, NotFoundError
from creditmemo.services.audit_trail import pending_events, verify_audit_chain
from creditmemo.store.sealer import seal_pending, watch


def register(app: typer.Typer) -> None:
    audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
    app.add_typer(audit_app, name="audit")

    @audit_app.command("seal")
    def seal(
        watch_: Annotated[
            bool, typer.Option("--watch", help="Keep sealing until stopped (SIGTERM or Ctrl-C).")
        ] = False,
        interval: Annotated[float, typer.Option("--interval", help="Seconds between rounds with --watch.")] = 0.05,
        database_url: DbUrl = None,
    ) -> None:
        """Seal committed audit events into their company's hash chain (what `creditmemo serve` runs beside its
        workers; a one-off run seals what a stopped process left)."""
        import signal

        db = database(database_url)
        stop: list[int] = []
        if watch_:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.append(1))
        try:
            sealed = watch(db, interval=interval, should_stop=lambda: bool(stop)) if watch_ else seal_pending(db)
        finally:
            db.dispose()
        out.print(f"sealed {sealed} events")

    @audit_app.command("verify")
    def verify(
        company: Annotated[str | None, typer.Option("--company", help="Company slug (default: every company).")] = None,
        read_only: Annotated[
            bool, typer.Option("--read-only", help="Do not seal pending events first (only count them).")
        ] = False,
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Seal committed events still waiting to join the chain, then verify the audit chain of one company
        or of all; non-zero exit on the first break."""
        results = []
        db = database(database_url)
        try:
            with db.uow(readonly=True) as uow:
                if company is not None:
                    company_id = uow.companies.id_for_slug(company)
                    if company_id is None:
                        raise NotFoundError("company", company)
                    ids = [company_id]
                else:
                    ids = uow.audit.company_ids()
            sealed = 0 if read_only else seal_pending(db, ids)
            with db.uow(readonly=True) as uow:
                for company_id in ids:
                    seq, _ = uow.audit.head(company_id)
                    results.append(
                        (company_id, seq, pending_events(uow, company_id), verify_audit_chain(uow, company_id))
                    )
        except DomainError as e:
            fail(e)
        finally:
            db.dispose()
        broken = [(c, s, b) for c, s, _, b in results if b is not None]
        if as_json:
            emit_json(
                [
                    {
                        "company_id": c,
                        "events": s,
                        "pending": p,
                        "sealed_now": sealed,
                        "ok": b is None,
                        "break": None if b is None else {"seq": b.seq, "event_id": b.event_id, "reason": b.reason},
                    }
                    for c, s, p, b in results
                ]
            )
        else:
            if sealed:
                out.print(f"sealed {sealed} events that were waiting to join the chain")
            for c, s, p, b in results:
                waiting = f"; {p} events not sealed yet" if p else ""
                if b is None:
                    out.print(f"ok      {c}: {s} events, chain intact{waiting}")
                else:
                    err.print(
                        f"BROKEN  {c}: first broken event #{b.seq} id={b.event_id or '-'}: {b.reason}", highlight=False
                    )
        if broken:
            raise typer.Exit(1)
