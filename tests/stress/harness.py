"""What the stress tests share: real `creditmemo serve` and `creditmemo worker` processes (each in its own
process group, so a test can kill the whole group), a company with one API key per role, HTTP clients
that record every response, and the checks on the books made afterwards with SQL."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

CREDITMEMO = str(Path(sys.executable).with_name("creditmemo"))
ROLES = ("clerk", "manager", "vp", "controller", "auditor", "admin")
NUMBER_TOKEN = "#number:"  # a number the server reserves in a transaction and fills in at commit (never seen)
PREFIXES = {"invoice": "INV", "credit_memo": "CM", "debit_memo": "DM", "payment": "PAY", "refund": "RF"}

# Refusals a racing client may legitimately get (DESIGN §5): the request was fine, the document's state
# or the amounts left had changed by the time it ran.
RACE_REFUSALS = frozenset(
    {
        "over_credit",
        "insufficient_available",
        "invalid_transition",
        "memo_settled",
        "approval_required",
        "over_refund",
        "refund_limit",
        "state_conflict",
        # A draft's edit that lands after another client posted it: its lines are final now (issue 17 item 6b
        # made text and metadata editable past draft, so the refusal names what is final instead of the status).
        "posted_is_final",
    }
)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# processes ------------------------------------------------------------------------------------------
@dataclass
class Proc:
    """A child started in its own session (process group), its output in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def kill9(self) -> None:
        """SIGKILL to the whole group (uvicorn's supervisor and its workers): no cleanup, no rollback."""
        self.signal_group(signal.SIGKILL)
        self.popen.wait(30)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.alive:
            self.signal_group(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
        # Whatever is left of the group (a worker process of the server) goes too.
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


class Procs:
    """Every child a test starts; ``stop_all`` (in the fixture's teardown) kills what is left."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.items: list[Proc] = []

    def start(self, name: str, args: list[str], url: str) -> Proc:
        log = self.tmp / f"{name}.log"
        env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [CREDITMEMO, *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        proc = Proc(name, popen, log)
        self.items.append(proc)
        return proc

    def serve(self, url: str, port: int, name: str = "server", workers: int = 2) -> Proc:
        return self.start(name, ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)], url)

    def worker(self, url: str, name: str = "worker") -> Proc:
        return self.start(name, ["worker", "--poll-interval", "0.2"], url)

    def stop_all(self) -> None:
        for proc in self.items:
            proc.stop(timeout=10)


def run_cli(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([CREDITMEMO, *args], env=env, capture_output=True, text=True, timeout=timeout)


def wait_until_serving(proc: Proc, base_url: str, key: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=5) as client:
        while True:
            if not proc.alive:
                raise AssertionError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}")
            try:
                if client.get("/v1/customers?limit=1", headers={"Authorization": f"Bearer {key}"}).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{proc.name} did not answer within {timeout} s:\n{proc.tail()}")
            time.sleep(0.2)


# the company -----------------------------------------------------------------------------------------
@dataclass
class Company:
    slug: str
    company_id: str
    keys: dict[str, str]
    user_ids: dict[str, str]


def make_company(url: str, slug: str) -> Company:
    """One user and API key per role (the clerk with the multi-line privilege), in-process."""
    from creditmemo.services.actors import system_actor
    from creditmemo.services.users import ensure_company_user, issue_api_key
    from creditmemo.store.uow import Database

    db = Database(url)
    try:
        keys, users = {}, {}
        company_id = ""
        with db.uow() as uow:
            for role in ROLES:
                privileges = ["create_multiline_memo"] if role == "clerk" else []
                user = ensure_company_user(
                    uow, slug, f"{role}@{slug}.test", role, privileges, company_name=f"Stress {slug}"
                )
                company_id = user.company_id
                keys[role] = issue_api_key(uow, system_actor(company_id, "stress setup"), user.id).key
                users[role] = user.id
    finally:
        db.dispose()
    return Company(slug, company_id, keys, users)


# recording HTTP calls -------------------------------------------------------------------------------
@dataclass
class Call:
    op: str
    method: str
    path: str
    body: Any
    key: str | None
    status: int | None = None  # None: no response (the connection failed or died)
    code: str | None = None  # the problem's code
    data: Any = None
    replayed: bool = False
    error: str | None = None
    request_id: str | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def outcome(self) -> str:
        if self.status is None:
            return f"no response ({self.error})"
        if self.ok:
            return f"{self.status}" + (" replayed" if self.replayed else "")
        return f"{self.status} {self.code}"

    def describe(self) -> str:
        return (
            f"{self.op}: {self.method} {self.path} -> {self.outcome} request_id={self.request_id} "
            f"detail={self.detail!r}"
        )


class Recorder:
    """Every call's outcome by operation; the calls that break the contract kept in full."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()
        self.calls: list[Call] = []
        self.violations: list[str] = []  # contract breaks the load itself noticed (e.g. post: true ignored)

    def add(self, call: Call) -> None:
        with self.lock:
            self.counts[(call.op, call.outcome)] += 1
            self.calls.append(call)

    def violation(self, text_: str) -> None:
        with self.lock:
            self.violations.append(text_)

    def ok_count(self, op: str) -> int:
        return sum(n for (o, outcome), n in self.counts.items() if o == op and outcome[:1] == "2")

    def failures(self) -> dict[str, list[Call]]:
        """5xx, 409 conflict (a deadlock or serialization failure that reached the client), no response,
        and any refusal that racing cannot explain (a bug of the test or of the product)."""
        out: dict[str, list[Call]] = {"5xx": [], "409 conflict": [], "no response": [], "unexpected": []}
        for c in self.calls:
            if c.status is None:
                out["no response"].append(c)
            elif c.status >= 500:
                out["5xx"].append(c)
            elif c.code == "conflict":
                out["409 conflict"].append(c)
            elif not c.ok and c.code not in RACE_REFUSALS:
                out["unexpected"].append(c)
        return out

    def table(self) -> str:
        rows = sorted(self.counts.items())
        width = max([len(op) for (op, _), _ in rows] + [9])
        owidth = max([len(o) for (_, o), _ in rows] + [7])
        lines = [f"{'operation':<{width}}  {'outcome':<{owidth}}  count", "-" * (width + owidth + 9)]
        last = None
        for (op, outcome), n in rows:
            lines.append(f"{op if op != last else '':<{width}}  {outcome:<{owidth}}  {n:>5}")
            last = op
        total = sum(self.counts.values())
        ok = sum(n for (_, o), n in rows if o[:1] == "2")
        lines.append("-" * (width + owidth + 9))
        lines.append(f"{'total':<{width}}  {'2xx ' + str(ok):<{owidth}}  {total:>5}")
        return "\n".join(lines)


class Api:
    """One thread's HTTP client. POSTs carry a fresh Idempotency-Key unless one is given."""

    def __init__(self, base_url: str, company: Company, recorder: Recorder, timeout: float = 60) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=timeout)
        self.company = company
        self.recorder = recorder

    def close(self) -> None:
        self.client.close()

    def headers(self, role: str, key: str | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.company.keys[role]}"}
        if key is not None:
            h["Idempotency-Key"] = key
        return h

    def call(
        self,
        op: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        role: str = "controller",
        key: str | None = None,
        record: bool = True,
    ) -> Call:
        if method == "POST" and key is None:
            key = new_key()
        call = Call(op, method, path, body, key)
        try:
            r = self.client.request(method, path, json=body, headers=self.headers(role, key))
        except httpx.HTTPError as e:
            call.error = type(e).__name__
        else:
            call.status = r.status_code
            call.replayed = r.headers.get("Idempotent-Replayed") == "true"
            if NUMBER_TOKEN in r.text:
                self.recorder.violation(
                    f"{op}: {method} {path} answered with an unresolved document number "
                    f"({r.text[r.text.index(NUMBER_TOKEN) :][:40]}…)"
                )
            call.request_id = r.headers.get("X-Request-ID")
            try:
                call.data = r.json()
            except ValueError:
                call.data = r.text
            if not call.ok and isinstance(call.data, dict):
                call.code = call.data.get("code")
                call.detail = call.data.get("detail")
        if record:
            self.recorder.add(call)
        return call

    def post(self, op: str, path: str, body: Any = None, **kw: Any) -> Call:
        return self.call(op, "POST", path, body if body is not None else {}, **kw)

    def get(self, path: str, role: str = "auditor") -> Any:
        r = self.client.get(path, headers=self.headers(role))
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text}"
        return r.json()


def new_key() -> str:
    return f"stress-{uuid.uuid4().hex}"


# checks on the books (SQL, after the load) -------------------------------------------------------------
class Books:
    """Read-only SQL over the stress database, for one company."""

    def __init__(self, url: str, company_id: str) -> None:
        self.engine = create_engine(url, poolclass=NullPool)
        self.company_id = company_id

    def close(self) -> None:
        self.engine.dispose()

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql), {"c": self.company_id, **params}).mappings()]

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), {"c": self.company_id, **params}).scalar()

    def numbers(self) -> dict[str, list[str]]:
        return {
            "invoice": [r["number"] for r in self.rows("SELECT number FROM invoices WHERE company_id = :c")],
            "credit_memo": [
                r["number"] for r in self.rows("SELECT number FROM memos WHERE company_id = :c AND kind = 'credit'")
            ],
            "debit_memo": [
                r["number"] for r in self.rows("SELECT number FROM memos WHERE company_id = :c AND kind = 'debit'")
            ],
            "payment": [r["number"] for r in self.rows("SELECT number FROM payments WHERE company_id = :c")],
            "refund": [r["number"] for r in self.rows("SELECT number FROM refunds WHERE company_id = :c")],
        }

    def gapless_problems(self) -> list[str]:
        """Rule 6: each document type numbered exactly 1..n, and the counter's next value is n + 1 (no number
        taken and lost at the end either)."""
        problems = []
        counters = {
            r["doc_type"]: r["next_value"]
            for r in self.rows("SELECT doc_type, next_value FROM number_sequences WHERE company_id = :c")
        }
        for doc_type, numbers in self.numbers().items():
            prefix = PREFIXES[doc_type] + "-"
            bad = [n for n in numbers if not n.startswith(prefix)]
            values = sorted(int(n[len(prefix) :]) for n in numbers if n.startswith(prefix))
            expected = list(range(1, len(numbers) + 1))
            if bad or values != expected:
                missing = sorted(set(expected) - set(values))[:10]
                dupes = sorted(v for v, k in Counter(values).items() if k > 1)[:10]
                problems.append(
                    f"{doc_type}: {len(numbers)} numbers, missing {missing}, duplicated {dupes}, foreign {bad[:5]}"
                )
            if counters.get(doc_type) != len(numbers) + 1:
                problems.append(f"{doc_type}: counter next_value {counters.get(doc_type)}, {len(numbers)} documents")
        return problems

    def rule1_problems(self) -> list[str]:
        """Rule 1: per invoice line, credited net and tax within what was invoiced, and equal to the posted
        (not voided) credit memo lines that credit it."""
        problems = []
        for r in self.rows("""
            SELECT l.id, i.number, l.line_no, l.net_minor, l.tax_minor, l.credited_net_minor, l.credited_tax_minor,
                   COALESCE(p.net, 0) AS posted_net, COALESCE(p.tax, 0) AS posted_tax
            FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
            LEFT JOIN (SELECT ml.invoice_line_id, SUM(ml.net_minor) AS net, SUM(ml.tax_minor) AS tax
                       FROM memo_lines ml JOIN memos m ON m.id = ml.memo_id
                       WHERE m.company_id = :c AND m.kind = 'credit' AND m.status = 'posted'
                       GROUP BY ml.invoice_line_id) p ON p.invoice_line_id = l.id
            WHERE l.company_id = :c"""):
            where = f"{r['number']} line {r['line_no']}"
            if not (0 <= r["credited_net_minor"] <= r["net_minor"]):
                problems.append(f"{where}: credited net {r['credited_net_minor']} of {r['net_minor']}")
            if not (0 <= r["credited_tax_minor"] <= r["tax_minor"]):
                problems.append(f"{where}: credited tax {r['credited_tax_minor']} of {r['tax_minor']}")
            if (r["credited_net_minor"], r["credited_tax_minor"]) != (r["posted_net"], r["posted_tax"]):
                problems.append(
                    f"{where}: credited {r['credited_net_minor']}/{r['credited_tax_minor']}, posted memo "
                    f"lines say {r['posted_net']}/{r['posted_tax']} (net/tax, minor units)"
                )
        return problems

    def journal_problems(self) -> list[str]:
        """Rule 5 from the rows themselves: every entry balances (document and functional), the AR control
        account (1200) equals the sum of customer balances."""
        problems = [
            f"entry {r['entry_id']} unbalanced: {r['d']}/{r['c2']} document, {r['fd']}/{r['fc']} functional"
            for r in self.rows("""
            SELECT entry_id, SUM(debit_minor) AS d, SUM(credit_minor) AS c2, SUM(functional_debit_minor) AS fd,
                   SUM(functional_credit_minor) AS fc
            FROM journal_lines WHERE company_id = :c GROUP BY entry_id
            HAVING SUM(debit_minor) <> SUM(credit_minor) OR SUM(functional_debit_minor) <> SUM(functional_credit_minor)
            """)
        ]
        empty = self.scalar("""SELECT count(*) FROM journal_entries e WHERE e.company_id = :c AND NOT EXISTS
                               (SELECT 1 FROM journal_lines l WHERE l.entry_id = e.id)""")
        if empty:
            problems.append(f"{empty} journal entries without lines")
        ar = self.scalar("""SELECT COALESCE(SUM(l.debit_minor - l.credit_minor), 0) FROM journal_lines l
                            JOIN accounts a ON a.company_id = l.company_id AND a.code = l.account_code
                            WHERE l.company_id = :c AND a.role = 'accounts_receivable'""")
        balances = self.scalar("SELECT COALESCE(SUM(balance_minor), 0) FROM customers WHERE company_id = :c")
        if ar != balances:
            problems.append(f"AR control {ar} != sum of customer balances {balances} (minor units)")
        return problems

    def wholeness_problems(self) -> list[str]:
        """Every document is whole: a memo has its lines (as many as line_count, totals = their sum) and
        exactly the journal entries its status calls for; a payment and a refund have their cash entry; an
        application and a refund point at documents that exist."""
        problems = []
        for r in self.rows("""
            SELECT m.number, m.status, m.line_count, m.subtotal_minor, m.tax_total_minor, m.total_minor,
                   (SELECT count(*) FROM memo_lines l WHERE l.memo_id = m.id) AS n_lines,
                   (SELECT COALESCE(SUM(l.net_minor), 0) FROM memo_lines l WHERE l.memo_id = m.id) AS net,
                   (SELECT COALESCE(SUM(l.tax_minor), 0) FROM memo_lines l WHERE l.memo_id = m.id) AS tax,
                   (SELECT count(*) FROM journal_entries e WHERE e.company_id = m.company_id AND e.source_id = m.id
                                                           AND e.kind = 'post') AS posts,
                   (SELECT count(*) FROM journal_entries e WHERE e.company_id = m.company_id AND e.source_id = m.id
                                                           AND e.kind <> 'post') AS others
            FROM memos m WHERE m.company_id = :c"""):
            where = f"{r['number']} ({r['status']})"
            # A discarded memo keeps its header and number, not its lines (rule 7).
            if r["n_lines"] != r["line_count"] or (r["n_lines"] == 0) != (r["status"] == "discarded"):
                problems.append(f"{where}: {r['n_lines']} lines, line_count {r['line_count']}")
            if (r["net"], r["tax"], r["net"] + r["tax"]) != (
                r["subtotal_minor"],
                r["tax_total_minor"],
                r["total_minor"],
            ):
                problems.append(
                    f"{where}: totals {r['subtotal_minor']}/{r['tax_total_minor']}/{r['total_minor']}, "
                    f"lines sum to {r['net']}/{r['tax']}"
                )
            posts, others = {"posted": (1, 0), "void": (1, 1)}.get(r["status"], (0, 0))
            if (r["posts"], r["others"]) != (posts, others):
                problems.append(f"{where}: {r['posts']} posting and {r['others']} other journal entries")
        for table, kind in (("invoices", "invoice"), ("payments", "payment"), ("refunds", "refund")):
            for r in self.rows(f"""
                SELECT d.number, (SELECT count(*) FROM journal_entries e WHERE e.company_id = d.company_id
                                  AND e.source_id = d.id) AS n
                FROM {table} d WHERE d.company_id = :c"""):
                if r["n"] != 1:
                    problems.append(f"{kind} {r['number']}: {r['n']} journal entries")
        orphans = self.scalar("""
            SELECT count(*) FROM applications a WHERE a.company_id = :c AND (
              (a.source_type = 'credit_memo' AND NOT EXISTS (SELECT 1 FROM memos m WHERE m.id = a.source_id
                                                             AND m.kind = 'credit'))
              OR (a.source_type = 'payment' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = a.source_id))
              OR (a.target_type = 'invoice' AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.id = a.target_id))
              OR (a.target_type = 'debit_memo' AND NOT EXISTS (SELECT 1 FROM memos m WHERE m.id = a.target_id
                                                               AND m.kind = 'debit')))""")
        if orphans:
            problems.append(f"{orphans} applications point at documents that do not exist")
        return problems

    def duplicate_references(self) -> list[str]:
        """Every create carries its Idempotency-Key as its reference: two documents with one reference are a
        request executed twice."""
        problems = []
        for table, column in (
            ("memos", "reference"),
            ("payments", "reference"),
            ("refunds", "reference"),
            ("invoices", "memo"),
        ):
            for r in self.rows(f"""SELECT {column} AS ref, count(*) AS n FROM {table} WHERE company_id = :c
                                   AND {column} LIKE 'stress-%' GROUP BY {column} HAVING count(*) > 1"""):
                problems.append(f"{table}: {r['n']} documents for one request ({r['ref']})")
        return problems

    def documents_for(self, key: str) -> int:
        """How many documents a create sent with this Idempotency-Key (its reference) left."""
        return int(
            self.scalar(
                """SELECT (SELECT count(*) FROM memos WHERE company_id = :c AND reference = :k)
                                       + (SELECT count(*) FROM payments WHERE company_id = :c AND reference = :k)
                                       + (SELECT count(*) FROM refunds WHERE company_id = :c AND reference = :k)
                                       + (SELECT count(*) FROM invoices WHERE company_id = :c AND memo = :k)""",
                k=key,
            )
        )

    def stored_response(self, key: str) -> dict[str, Any] | None:
        found = self.rows(
            "SELECT status_code, response_body FROM idempotency_keys WHERE company_id = :c AND key = :k", k=key
        )
        return found[0] if found else None

    def token_problems(self) -> list[str]:
        """A document number reserved in a transaction is filled in where it is written (the journal entry's
        description, the audit event, the stored Idempotency-Key response): no placeholder is ever left."""
        problems = []
        for table, column in (
            ("journal_entries", "description"),
            ("audit_events", "CAST(changes AS TEXT)"),
            ("idempotency_keys", "response_body"),
            ("memos", "number"),
            ("invoices", "number"),
            ("payments", "number"),
            ("refunds", "number"),
        ):
            n = self.scalar(
                f"SELECT count(*) FROM {table} WHERE company_id = :c AND {column} LIKE :t", t=f"%{NUMBER_TOKEN}%"
            )
            if n:
                problems.append(f"{n} rows of {table} hold an unresolved number ({column})")
        return problems

    def numbers_by_id(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for table in ("invoices", "memos", "payments", "refunds"):
            rows = self.rows(f"SELECT id, number FROM {table} WHERE company_id = :c")
            found.update({r["id"]: r["number"] for r in rows})
        return found

    def answered_number_problems(self, calls: Iterable[Call]) -> list[str]:
        """Every number a 2xx response gave (created documents, and the documents later actions returned)
        is the number the document has."""
        numbers = self.numbers_by_id()
        problems = []
        for c in calls:
            docs = c.data if isinstance(c.data, list) else [c.data]
            for d in docs:
                if c.ok and isinstance(d, dict) and d.get("number") and numbers.get(d.get("id", "")) != d["number"]:
                    problems.append(
                        f"{c.op}: answered {d['number']} for {d.get('id')}, the database says "
                        f"{numbers.get(d.get('id', ''))}"
                    )
        return problems

    def audit_problems(self) -> list[str]:
        """Every change is an audit event (rule 7), and every event has joined the hash chain (none left
        unsealed once `creditmemo audit verify` ran)."""
        problems = []
        checks = {
            "invoice without invoice.issued": """SELECT number AS what FROM invoices d WHERE company_id = :c
                AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.company_id = d.company_id AND e.entity_id = d.id
                 AND e.action = 'invoice.issued')""",
            "memo without .created": """SELECT number AS what FROM memos d WHERE company_id = :c AND NOT EXISTS
                (SELECT 1 FROM audit_events e WHERE e.company_id = d.company_id AND e.entity_id = d.id
                 AND e.action = d.kind || '_memo.created')""",
            "posted memo without .posted": """SELECT number AS what FROM memos d WHERE company_id = :c
                AND status IN ('posted', 'void') AND NOT EXISTS
                (SELECT 1 FROM audit_events e WHERE e.company_id = d.company_id AND e.entity_id = d.id
                 AND e.action = d.kind || '_memo.posted')""",
            "void memo without .voided": """SELECT number AS what FROM memos d WHERE company_id = :c
                AND status = 'void' AND NOT EXISTS
                (SELECT 1 FROM audit_events e WHERE e.company_id = d.company_id AND e.entity_id = d.id
                 AND e.action = d.kind || '_memo.voided')""",
            "payment without payment.recorded": """SELECT number AS what FROM payments d WHERE company_id = :c AND
                NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.company_id = d.company_id AND e.entity_id = d.id
                 AND e.action = 'payment.recorded')""",
            "refund without refund.created": """SELECT number AS what FROM refunds d WHERE company_id = :c AND
                NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.company_id = d.company_id AND e.entity_id = d.id
                 AND e.action = 'refund.created')""",
            "application without application.created": """SELECT id AS what FROM applications d
                WHERE company_id = :c AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.company_id = d.company_id
                AND e.entity_id = d.id AND e.action = 'application.created')""",
            "reversed application without application.reversed": """SELECT id AS what FROM applications d
                WHERE company_id = :c AND status = 'reversed' AND NOT EXISTS (SELECT 1 FROM audit_events e
                WHERE e.company_id = d.company_id AND e.entity_id = d.id AND e.action = 'application.reversed')""",
            "event not sealed into the chain": """SELECT id AS what FROM audit_events WHERE company_id = :c
                AND seq IS NULL""",
        }
        for title, sql in checks.items():
            found = [r["what"] for r in self.rows(sql)]
            if found:
                problems.append(f"{len(found)} {title}: {found[:5]}")
        return problems


def books_problems(books: Books) -> dict[str, list[str]]:
    return {
        "numbers are gapless (rule 6)": books.gapless_problems(),
        "no over-credit (rule 1)": books.rule1_problems(),
        "every entry balances, AR = customers (rule 5)": books.journal_problems(),
        "documents are whole": books.wholeness_problems(),
        "no request executed twice": books.duplicate_references(),
        "every change audited and sealed": books.audit_problems(),
        "no number placeholder left": books.token_problems(),
    }


def report_problems(api_client: Api) -> list[str]:
    """The product's own reconciliation and trial balance, over the API."""
    problems = []
    rec = api_client.get("/v1/reports/reconciliation")
    if not rec["ok"] or rec["problems"]:
        problems += [f"reconciliation: {p}" for p in rec["problems"]] or ["reconciliation: ok is false"]
    tb = api_client.get("/v1/reports/trial-balance")
    if not tb["balanced"] or tb["total_debit"] != tb["total_credit"]:
        problems.append(
            f"trial balance: debit {tb['total_debit']}, credit {tb['total_credit']}, balanced {tb['balanced']}"
        )
    return problems


def format_failures(groups: dict[str, Iterable[Any]], limit: int = 15) -> str:
    """Each group with its count; calls grouped by operation and outcome, with the first of each."""
    out = []
    for title, items in groups.items():
        items = list(items)
        if not items:
            continue
        out.append(f"{title}: {len(items)}")
        calls = [i for i in items if isinstance(i, Call)]
        by: dict[tuple[str, str], list[Call]] = {}
        for c in calls:
            by.setdefault((c.op, c.outcome), []).append(c)
        out += [f"    {len(cs):>4} x {cs[0].describe()}" for cs in list(by.values())[:limit]]
        out += [f"    {i}" for i in [i for i in items if not isinstance(i, Call)][:limit]]
    return "\n".join(out)


@dataclass
class Pool:
    """Documents of one customer the load knows about (shared by the threads working on it)."""

    customer_id: str
    hot: bool
    lock: threading.Lock = field(default_factory=threading.Lock)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    drafts: dict[str, str] = field(default_factory=dict)  # memo id -> invoice | standalone
    approved: list[str] = field(default_factory=list)
    pending: list[tuple[str, str, str]] = field(default_factory=list)  # (memo id, creator role, approver role)
    posted: list[str] = field(default_factory=list)  # posted credit memos
    debit_memos: list[str] = field(default_factory=list)  # posted debit memos
    debit_drafts: list[str] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)
    applications: list[tuple[str, str, str]] = field(default_factory=list)  # (source kind, source id, app id)

    KEEP = 40  # only the latest documents stay in play: threads keep meeting on the same rows

    def add(self, name: str, item: Any) -> None:
        with self.lock:
            items = getattr(self, name)
            if isinstance(items, dict):
                items[item[0]] = item[1]
                for old in list(items)[: -self.KEEP]:
                    del items[old]
            else:
                items.append(item)
                del items[: -self.KEEP]

    def remove(self, name: str, item: Any) -> None:
        with self.lock:
            items = getattr(self, name)
            if isinstance(items, dict):
                items.pop(item, None)
            elif item in items:
                items.remove(item)

    def pick(self, name: str, rng: Any, recent: int | None = None) -> Any:
        with self.lock:
            items = getattr(self, name)
            if isinstance(items, dict):
                items = list(items.items())
            if recent is not None:
                items = items[-recent:]
            return rng.choice(items) if items else None
