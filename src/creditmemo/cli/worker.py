"""`creditmemo worker [--once]`: post memos waiting in ready_to_post (see creditmemo.worker)."""

import logging
import os
import threading
from pathlib import Path
from typing import Annotated, Any

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
        webhooks: Annotated[
            bool,
            typer.Option("--webhooks/--no-webhooks", help="Also deliver webhooks (a thread), as `webhooks deliver`."),
        ] = True,
        webhook_timeout: Annotated[float, typer.Option("--webhook-timeout", help="Seconds a receiver has.")] = 5.0,
        webhook_lease: Annotated[
            float | None, typer.Option("--webhook-lease", help="Seconds before a claimed delivery is claimed again.")
        ] = None,
    ) -> None:
        """Post queued memos, each in its own transaction (several workers may run on PostgreSQL); deliver
        webhooks in a thread (--no-webhooks: not) and forget finished deliveries hourly after
        WEBHOOK_RETENTION_DAYS; with a signing key (--anchor-key or AUDIT_ANCHOR_KEY), also anchor every
        company's audit chain hourly."""
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
        stop = threading.Event()
        delivery = None
        if webhooks:
            from creditmemo.webhooks import Deliverer, purge_finished, retention_days

            deliverer = Deliverer(db, timeout=webhook_timeout, lease=webhook_lease)
            try:  # a bad WEBHOOK_RETENTION_DAYS stops the worker at start, not an hour later
                days = retention_days()
            except ValueError as e:
                raise typer.BadParameter(str(e), param_hint="WEBHOOK_RETENTION_DAYS") from None
            jobs.append(Periodic("webhook purge", 3600, lambda: purge_finished(db, days)))
            if once:
                jobs.append(Periodic("webhooks", 0, lambda: _drain(deliverer)))
            else:
                delivery = threading.Thread(
                    target=deliverer.run,
                    kwargs={"should_stop": stop.is_set, "poll_interval": poll_interval},
                    name="webhooks",
                    daemon=True,
                )
                delivery.start()
        try:
            stats = run_worker(db, once=once, poll_interval=poll_interval, periodic=jobs)
            if once and webhooks:
                _drain(deliverer)  # what the posting just queued
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        finally:
            stop.set()
            if delivery is not None:
                delivery.join(timeout=webhook_timeout + 2)
            if webhooks:
                deliverer.close()
            db.dispose()
        out.print(f"posted {stats.posted}, sent back to draft {stats.failed}")


def _drain(deliverer: Any) -> None:
    while deliverer.deliver_due() > 0:
        pass
