"""`creditmemo audit verify [--company SLUG] [--anchors FILE --public-key KEY]`: seal what is pending, then walk
each company's hash chain; exit 1 naming the first event altered, inserted or removed behind the application's
back (with anchors: also what was rewritten consistently, chain and head together).
`creditmemo audit seal [--watch]`: chain committed events that are waiting (store/sealer.py).
`creditmemo audit keygen` / `audit anchor`: sign chain heads with a key kept outside the database
(services/anchoring.py)."""

import os
from pathlib import Path
from typing import Annotated

import typer

from creditmemo.cli.common import DbUrl, Json, database, emit_json, err, fail, out
from creditmemo.domain.errors import DomainError, NotFoundError
from creditmemo.services.audit_trail import pending_events, verify_audit_chain
from creditmemo.store.uow import Database


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
            sealed = db.seal_until(lambda: bool(stop), interval=interval) if watch_ else db.seal()
        finally:
            db.dispose()
        out.print(f"sealed {sealed} events")

    @audit_app.command("keygen")
    def keygen(
        out_file: Annotated[
            Path, typer.Option("--out", help="Where to write the private key (PEM); FILE.pub gets the public key.")
        ] = Path("audit-anchor-key.pem"),
    ) -> None:
        """Make an Ed25519 key for signing audit anchors. Keep the private key outside the database (a file
        readable by the anchoring process only, or the AUDIT_ANCHOR_KEY variable); give the public key to
        whoever verifies."""
        from creditmemo.services.anchoring import new_key

        if out_file.exists():
            err.print(f"{out_file} exists; not overwritten (an anchor signed with it would no longer verify)")
            raise typer.Exit(1)
        pem, public = new_key()
        fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        Path(f"{out_file}.pub").write_text(public + "\n")
        out.print(f"private key: {out_file} (mode 600)\npublic key:  {out_file}.pub\n{public}")

    @audit_app.command("anchor")
    def anchor(
        company: Annotated[str | None, typer.Option("--company", help="Company slug (default: every company).")] = None,
        key: Annotated[
            str | None, typer.Option("--key", help="Private key file (PEM); default: the AUDIT_ANCHOR_KEY variable.")
        ] = None,
        anchors_file: Annotated[
            Path, typer.Option("--anchors", help="The anchors file to append to (one JSON object per line).")
        ] = Path("audit-anchors.jsonl"),
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Seal pending events, then sign each company's chain head (sequence, hash, time) and publish it:
        appended to the anchors file and kept for GET /v1/audit-anchors. Keep the file where the database's
        writers cannot reach it; `audit verify --anchors` checks the chain against it."""
        from creditmemo.services.anchoring import load_private_key
        from creditmemo.worker import anchor_audit_chains

        db = database(database_url)
        try:
            made = anchor_audit_chains(db, load_private_key(key), anchors_file, _company_ids(db, company))
        except DomainError as e:
            fail(e)
        finally:
            db.dispose()
        if as_json:
            emit_json([a.to_dict() for a in made])
            return
        for a in made:
            out.print(f"anchored {a.company_id}: event #{a.seq} {a.hash[:16]}… at {a.anchored_at}")
        out.print(f"{len(made)} anchors appended to {anchors_file}")

    @audit_app.command("verify")
    def verify(
        company: Annotated[str | None, typer.Option("--company", help="Company slug (default: every company).")] = None,
        read_only: Annotated[
            bool, typer.Option("--read-only", help="Do not seal pending events first (only count them).")
        ] = False,
        anchors_file: Annotated[
            Path | None,
            typer.Option("--anchors", help="An anchors file (audit anchor): also prove nothing changed up to each."),
        ] = None,
        public_key: Annotated[
            str | None, typer.Option("--public-key", help="The anchors' public key (base64, or its .pub file).")
        ] = None,
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Seal committed events still waiting to join the chain, then verify the audit chain of one company
        or of all; non-zero exit on the first break. With --anchors and --public-key, also check each signed
        anchor: a chain rewritten together with its head passes the plain walk but not this."""
        from creditmemo.services.anchoring import load_public_key, read_file, verify_against

        if (anchors_file is None) != (public_key is None):
            err.print("--anchors and --public-key go together")
            raise typer.Exit(2)
        results = []
        anchor_break = None
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
            sealed = 0 if read_only else db.seal(ids)
            with db.uow(readonly=True) as uow:
                for company_id in ids:
                    seq, _ = uow.audit.head(company_id)
                    results.append(
                        (company_id, seq, pending_events(uow, company_id), verify_audit_chain(uow, company_id))
                    )
                if anchors_file is not None and public_key is not None:
                    anchor_break = verify_against(uow, read_file(anchors_file), load_public_key(public_key), ids)
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
                        "anchor_break": None
                        if anchor_break is None or anchor_break.anchor.company_id != c
                        else {
                            "anchor": anchor_break.index,
                            "seq": anchor_break.anchor.seq,
                            "reason": anchor_break.reason,
                        },
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
            if anchor_break is not None:
                a = anchor_break.anchor
                err.print(
                    f"BROKEN  {a.company_id}: anchor {anchor_break.index} (event #{a.seq}, anchored {a.anchored_at}): "
                    f"{anchor_break.reason}",
                    highlight=False,
                )
            elif anchors_file is not None:
                out.print(f"anchors ok: every anchor in {anchors_file} holds")
        if broken or anchor_break is not None:
            raise typer.Exit(1)


def _company_ids(db: Database, company: str | None) -> list[str]:
    with db.uow(readonly=True) as uow:
        if company is None:
            return uow.audit.company_ids()
        company_id = uow.companies.id_for_slug(company)
        if company_id is None:
            raise NotFoundError("company", company)
        return [company_id]
