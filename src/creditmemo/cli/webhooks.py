"""`creditmemo webhooks deliver [--once]`: send what the webhook outbox holds (creditmemo/webhooks.py); the worker
runs the same loop in a thread. `creditmemo webhooks purge`: forget finished deliveries after the retention."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from creditmemo.cli.common import DbUrl, database, out

webhooks_app = typer.Typer(help="Webhook delivery.", no_args_is_help=True)

Timeout = Annotated[float, typer.Option("--timeout", help="Seconds a receiver has to answer.")]
Concurrency = Annotated[int, typer.Option("--concurrency", help="Requests in flight at once.", min=1, max=256)]
Lease = Annotated[
    float | None,
    typer.Option("--lease", help="Seconds a claimed delivery is not claimed again (default max(30, 3 x timeout))."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")

    @webhooks_app.command("deliver")
    def deliver(
        database_url: DbUrl = None,
        once: Annotated[bool, typer.Option("--once", help="Exit when nothing is due.")] = False,
        poll_interval: Annotated[float, typer.Option("--poll-interval", help="Seconds between polls when idle.")] = 1.0,
        timeout: Timeout = 5.0,
        concurrency: Concurrency = 16,
        lease: Lease = None,
    ) -> None:
        """POST due webhook events to their endpoints, signed, in order per document, retried with back-off for
        a day (several deliverers may run side by side on PostgreSQL)."""
        from creditmemo.webhooks import Deliverer

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        db = database(database_url, sealing="background")
        deliverer = Deliverer(db, timeout=timeout, concurrency=concurrency, lease=lease)
        sent = 0
        try:
            if once:
                while (n := deliverer.deliver_due()) > 0:
                    sent += n
            else:
                deliverer.run(poll_interval=poll_interval)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        finally:
            deliverer.close()
            db.dispose()
        out.print(f"webhook attempts {sent}")

    @webhooks_app.command("purge")
    def purge(
        database_url: DbUrl = None,
        older_than_days: Annotated[
            int | None,
            typer.Option(
                "--older-than-days",
                help="Keep finished deliveries this many days (at least 2; default WEBHOOK_RETENTION_DAYS, else 30).",
            ),
        ] = None,
    ) -> None:
        """Delete delivered, failed and cancelled webhook deliveries, and their attempts, older than the retention
        (the worker does it hourly). Pending deliveries are never deleted."""
        from creditmemo.webhooks import purge_finished, retention_days

        try:
            days = retention_days(older_than_days)
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="--older-than-days") from None
        db = database(database_url)
        try:
            outbox, attempts = purge_finished(db, days)
        finally:
            db.dispose()
        out.print(f"purged {outbox} deliveries and {attempts} attempts finished more than {days} days ago")
