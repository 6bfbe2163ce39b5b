"""`creditmemo worker [--once]`: post memos waiting in ready_to_post (see creditmemo.worker)."""

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from creditmemo.cli.common import DbUrl, database, fail, out
from creditmemo.domain.errors import DomainError


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker(
        database_url: DbUrl = None,
        once: Annotated[bool, typer.Option("--once", help="Exit when the queue is empty.")] = False,
        poll_interval: Annotated[float, typer.Option("--poll-interval", help="Seconds between polls when idle.")] = 1.0,
        anchor_key: Annotated[
            str | None,
            typer.Option(
                "--anchor-key",
                help="Also anchor the audit chains every --anchor-interval seconds with this key (PEM file); "
                "default: the AUDIT_ANCHOR_KEY variable when set, else no anchoring.",
            ),
        ] = None,
        anchors_file: Annotated[Path, typer.Option("--anchors", help="The anchors file the worker appends to.")] = Path(
            "audit-anchors.jsonl"
        ),
        anchor_interval: Annotated[float, typer.Option("--anchor-interval", help="Seconds between anchors.")] = 3600,
    ) -> None:
        """Post queued memos, each in its own transaction (several workers may run on PostgreSQL); with a signing
        key (--anchor-key or AUDIT_ANCHOR_KEY), also anchor every company's audit chain hourly."""
        from creditmemo.services.anchoring import KEY_ENV, load_private_key
        from creditmemo.worker import Periodic, anchor_audit_chains, run_worker

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        db = database(database_url, sealing="background")
        jobs = []
        if anchor_key or os.environ.get(KEY_ENV):
            try:
                key = load_private_key(anchor_key)
            except DomainError as e:
                fail(e)
            jobs.append(
                Periodic("audit anchoring", anchor_interval, lambda: anchor_audit_chains(db, key, anchors_file))
            )
        try:
            stats = run_worker(db, once=once, poll_interval=poll_interval, periodic=jobs)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        finally:
            db.dispose()
        out.print(f"posted {stats.posted}, sent back to draft {stats.failed}")
