"""Delivering webhooks from the outbox (issue 13 item 3; docs/CONCURRENCY.md, "The webhook outbox").

A round: claim up to ``batch`` due deliveries in one short transaction (their lease is set and committed before
any request goes out), POST them concurrently (a thread pool over one pooled httpx client, short timeouts), then
write every outcome in a second short transaction. At least once: a deliverer killed after a POST and before its
record leaves the lease to run out, and the event is sent again (receivers deduplicate by ``id``). In order per
document: only the oldest pending event of a document (per endpoint) is ever claimed, so event N+1 waits until N
is delivered or given up. A receiver that is down costs the deliverer, never a write: the write path only inserts
outbox rows.

The address a host name resolves to is checked at each round (link-local and metadata addresses always refused,
private and loopback ones unless CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE=1), and the request goes to that checked
address (the Host header and TLS server name stay the URL's), so a name that resolves differently later (DNS
rebinding) cannot lead a delivery elsewhere."""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from creditmemo.domain.webhooks import SIGNATURE_HEADER, check_address, retry_delay, sign
from creditmemo.services.webhooks import Claimed, Outcome, allow_private
from creditmemo.store.uow import Database

log = logging.getLogger("creditmemo.webhooks")
SNIPPET = 200
USER_AGENT = "creditmemo-webhooks/1"


RETENTION_ENV = "WEBHOOK_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30
MIN_RETENTION_DAYS = 2  # longer than a delivery can stay pending (GIVE_UP_AFTER, a day)
PURGE_BATCH = 1000


def retention_days(value: int | None = None) -> int:
    """The days finished deliveries are kept: ``value``, else WEBHOOK_RETENTION_DAYS, else 30."""
    raw: object = value if value is not None else os.environ.get(RETENTION_ENV, DEFAULT_RETENTION_DAYS)
    try:
        days = int(str(raw))
    except ValueError:
        raise ValueError(f"{RETENTION_ENV} must be a whole number of days, not {raw!r}") from None
    if days < MIN_RETENTION_DAYS:
        raise ValueError(f"webhook retention must be at least {MIN_RETENTION_DAYS} days, not {days}")
    return days


def purge_finished(db: Database, days: int, company_ids: Sequence[str] | None = None) -> tuple[int, int]:
    """Delete deliveries finished (delivered, failed, cancelled) more than ``days`` ago and their attempts, a
    batch per transaction (short locks, only on rows nobody writes any more); the counts deleted. What
    `creditmemo webhooks purge` and the worker's hourly job run: without it the outbox grows for ever."""
    before = db.clock() - timedelta(days=retention_days(days))
    outbox = attempts = 0
    while True:
        done = db.transact(lambda uow: uow.webhooks.purge(before, PURGE_BATCH, company_ids))
        outbox, attempts = outbox + done[0], attempts + done[1]
        if max(done) < PURGE_BATCH:
            break
    if outbox or attempts:
        log.info("purged %d finished webhook deliveries and %d attempts older than %d days", outbox, attempts, days)
    return outbox, attempts


class Refused(Exception):
    """The URL's host resolves to an address deliveries must not go to (or does not resolve)."""


class Deliverer:
    def __init__(
        self,
        db: Database,
        *,
        timeout: float = 5.0,
        concurrency: int = 16,
        batch: int = 200,
        lease: float | None = None,
        company_ids: Sequence[str] | None = None,
        private_ok: bool | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.timeout = timeout
        self.batch = batch
        # A claimed delivery is not claimed again before its lease ends: longer than any request can take.
        self.lease = lease if lease is not None else max(30.0, 3 * timeout)
        self.company_ids = company_ids
        self.private_ok = allow_private() if private_ok is None else private_ok
        self.clock = clock or db.clock
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            limits=httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2),
            follow_redirects=False,  # a redirect could lead anywhere; 3xx is a failed attempt
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook")

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.client.close()

    def deliver_due(self) -> int:
        """One round, start to end; the number of deliveries attempted (0: nothing due)."""
        claimed = self._claim()
        if claimed:
            self._record(claimed, list(self.pool.map(self._sender(), claimed)))
        return len(claimed)

    def run(self, *, should_stop: Callable[[], bool] = lambda: False, poll_interval: float = 1.0) -> None:
        """Deliver until ``should_stop``; poll every ``poll_interval`` seconds when nothing is due. Two rounds
        overlap: the next one is claimed while the requests of the last are in flight (it cannot take a
        document of that round: their events are still pending, leased, so the next ones wait)."""
        in_flight: tuple[list[Claimed], list[Future[Outcome]]] | None = None
        while not should_stop():
            try:
                claimed = self._claim()
                sending = None
                if claimed:
                    send = self._sender()
                    sending = (claimed, [self.pool.submit(send, d) for d in claimed])
                if in_flight is not None:
                    self._record(in_flight[0], [f.result() for f in in_flight[1]])
                in_flight = sending
            except Exception:
                log.exception("webhook delivery round failed; next try in %.1f s", poll_interval)
                in_flight = None  # what it held is sent again when its lease ends
                claimed = []
            if not claimed and in_flight is None:
                time.sleep(poll_interval)
        if in_flight is not None:
            self._record(in_flight[0], [f.result() for f in in_flight[1]])

    def _claim(self) -> list[Claimed]:
        now = self.clock()
        with self.db.uow() as uow:
            return uow.webhooks.claim(now, now + timedelta(seconds=self.lease), self.batch, self.company_ids)

    def _sender(self) -> Callable[[Claimed], Outcome]:
        resolved: dict[tuple[str, int], Any] = {}  # a host is resolved (and checked) once per round
        return lambda d: self._send(d, resolved)

    def _record(self, claimed: list[Claimed], outcomes: list[Outcome]) -> None:
        done = self.clock()
        retry_in = {d.attempts: retry_delay(d.attempts) for d in claimed}
        self.db.transact(lambda uow: uow.webhooks.record(outcomes, done, retry_in))
        failed = sum(1 for o in outcomes if not o.ok)
        log.info("delivered %d webhooks, %d failed attempts", len(outcomes) - failed, failed)

    # one request ----------------------------------------------------------------------------------------
    def _send(self, d: Claimed, resolved: dict[tuple[str, int], Any]) -> Outcome:
        body = json.dumps(d.payload, sort_keys=True, separators=(",", ":"), default=str).encode()
        started = time.monotonic()
        attempted_at = self.clock()
        status_code = None
        response = None
        error = None
        try:
            target, headers, extensions = self._pin(d.url, resolved)
            stamp = int(attempted_at.timestamp())
            headers.update(
                {
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: sign(d.secret, stamp, body),
                    "Creditmemo-Event-Id": d.event_id,
                    "Creditmemo-Event-Type": d.event_type,
                }
            )
            answer = self.client.post(target, content=body, headers=headers, extensions=extensions)
            status_code = answer.status_code
            response = answer.text[:SNIPPET]
        except Refused as e:
            error = str(e)[:500]
        except httpx.HTTPError as e:
            error = f"{type(e).__name__}: {e}"[:500]
        except Exception as e:  # never lose the round for one bad endpoint
            error = f"{type(e).__name__}: {e}"[:500]
        duration_ms = int((time.monotonic() - started) * 1000)
        return Outcome(d, attempted_at, status_code, response, error, duration_ms)

    def _pin(self, url: str, resolved: dict[tuple[str, int], Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
        """The URL with its host replaced by a checked address, the Host header, and the TLS server name."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (host, port)
        if key not in resolved:
            resolved[key] = self._resolve(host, port)
        address = resolved[key]
        if isinstance(address, Refused):
            raise address
        literal = f"[{address}]" if ":" in address else address
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        host_header = parts.netloc.rsplit("@", 1)[-1]
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        return target, {"Host": host_header}, extensions

    def _resolve(self, host: str, port: int) -> str | Refused:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as e:
            return Refused(f"{host} does not resolve: {e}")
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        for address in addresses:  # every address the name has must be allowed, not only the first
            problem = check_address(address, allow_private=self.private_ok)
            if problem is not None:
                return Refused(f"{host} resolves to {address}: {problem[1]}")
        if not addresses:
            return Refused(f"{host} does not resolve")
        return str(addresses[0])
