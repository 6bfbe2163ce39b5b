"""`creditmemo worker [--once]`: post memos waiting in ready_to_post (see creditmemo.worker)."""

import logging
from typing import Annotated

import typer

from creditmemo.cli.common import DbUrl, database, out


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker(
        database_url: DbUrl = None,
        once: Annotated[bool, typer.Option("--once", help="Exit when the queue is empty.")] = False,
        poll_interval: Annotated[float, typer.Option("--poll-interval", help="Seconds between polls when idle.")] = 1.0,
    ) -> None:
        """Post queued memos, each in its own transaction (several workers may run on PostgreSQL)."""
        from creditmemo.worker import run_worker

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        db = database(database_url, sealing="background")
        try:
            stats = run_worker(db, once=once, poll_interval=poll_interval)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        finally:
            db.dispose()
        out.print(f"posted {stats.posted}, sent back to draft {stats.failed}")
