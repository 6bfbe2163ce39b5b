"""Settlement benchmark on PostgreSQL: applications per second, AR aging, a customer statement and a
customer balance read over a bulk-loaded company (default 1,000,000 invoices, 200,000 credit memos).

    .venv/bin/python bench/settlement.py \
        --url postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_settle_bench

Data is generated server-side (INSERT ... SELECT generate_series), consistent with the ledger:
invoices, credit memos and payments each have their journal entry; 60% of invoices are paid by one
payment per customer through application records; customer balances are summed from the AR lines.
The database named in --url is dropped and recreated unless --reuse is given."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.actors import system_actor
from creditmemo.services.companies import create_company
from creditmemo.services.customers import get_customer
from creditmemo.services.reports import ar_aging, customer_statement, reconcile, trial_balance
from creditmemo.services.settlement.applications import apply_credit
from creditmemo.store import migrate
from creditmemo.store.uow import Database

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/creditmemo_settle_bench"
AS_OF = date(2025, 12, 31)

LOAD = [
    (
        "customers",
        """
        INSERT INTO customers (id, company_id, name, email, currency, payment_terms_days, balance_minor,
                               available_credit_minor, created_at)
        SELECT 'cus_b' || g, :co, 'Customer ' || g, NULL, 'USD', 30, 0, 0, now()
        FROM generate_series(0, :c - 1) g""",
    ),
    (
        "invoices",
        """
        INSERT INTO invoices (id, company_id, customer_id, number, status, currency, exchange_rate, issue_date,
                              due_date, subtotal_minor, tax_total_minor, total_minor, amount_credited_minor,
                              amount_paid_minor, created_at)
        SELECT 'inv_b' || g, :co, 'cus_b' || (g % :c), 'INV-' || lpad(g::text, 7, '0'), 'issued', 'USD', 1,
               date '2024-01-01' + (g % 730), date '2024-01-01' + (g % 730) + 30,
               10000 + (g::bigint * 7919) % 90000, 0, 10000 + (g::bigint * 7919) % 90000, 0,
               CASE WHEN (g / :c) % 10 < 6 THEN 10000 + (g::bigint * 7919) % 90000 ELSE 0 END, now()
        FROM generate_series(1, :n) g""",
    ),
    (
        "invoice journal entries",
        """
        INSERT INTO journal_entries (id, company_id, date, source_type, source_id, kind, currency,
                                     functional_currency, exchange_rate, description, created_at)
        SELECT 'je_' || id, company_id, issue_date, 'invoice', id, 'post', 'USD', 'USD', 1,
               'Invoice ' || number, now() FROM invoices WHERE company_id = :co""",
    ),
    (
        "invoice journal lines",
        """
        INSERT INTO journal_lines (entry_id, company_id, line_no, account_code, debit_minor, credit_minor,
                                   functional_debit_minor, functional_credit_minor, customer_id, entry_date)
        SELECT 'je_' || id, company_id, 1, '4000', 0, total_minor, 0, total_minor, NULL, issue_date
        FROM invoices WHERE company_id = :co
        UNION ALL
        SELECT 'je_' || id, company_id, 2, '1200', total_minor, 0, total_minor, 0, customer_id, issue_date
        FROM invoices WHERE company_id = :co""",
    ),
    (
        "payments",
        """
        INSERT INTO payments (id, company_id, number, customer_id, currency, exchange_rate, amount_minor,
                              amount_applied_minor, amount_refunded_minor, received_on, method, status, created_at)
        SELECT 'pay_' || customer_id, company_id,
               'PAY-' || lpad((row_number() OVER (ORDER BY customer_id))::text, 7, '0'),
               customer_id, 'USD', 1, sum(amount_paid_minor), sum(amount_paid_minor), 0, date '2025-06-30',
               'wire', 'received', now()
        FROM invoices WHERE company_id = :co AND amount_paid_minor > 0 GROUP BY company_id, customer_id""",
    ),
    (
        "applications",
        """
        INSERT INTO applications (id, company_id, source_type, source_id, target_type, target_id, customer_id,
                                  currency, amount_minor, status, applied_on, created_at)
        SELECT 'app_' || id, company_id, 'payment', 'pay_' || customer_id, 'invoice', id, customer_id, 'USD',
               amount_paid_minor, 'active', date '2025-06-30', now()
        FROM invoices WHERE company_id = :co AND amount_paid_minor > 0""",
    ),
    (
        "credit memos",
        """
        INSERT INTO memos (id, company_id, kind, number, customer_id, source, reason_code, currency,
                           exchange_rate, issue_date, status, subtotal_minor, tax_total_minor, total_minor,
                           amount_applied_minor, amount_refunded_minor, line_count, print_status, auto_apply,
                           created_at, updated_at, posted_at, version)
        SELECT 'cm_b' || g, :co, 'credit', 'CM-' || lpad(g::text, 7, '0'), 'cus_b' || (g % :c), 'standalone',
               'goodwill', 'USD', 1, date '2024-01-01' + (g % 730), 'posted', 1000 + (g::bigint * 31) % 5000, 0,
               1000 + (g::bigint * 31) % 5000, 0, 0, 1, 'not_printed', false, now(), now(), now(), 2
        FROM generate_series(1, :m) g""",
    ),
    (
        "memo lines",
        """
        INSERT INTO memo_lines (id, memo_id, company_id, line_no, description, quantity, unit_price, net_minor,
                                tax_rate, tax_minor, credit_by, restock)
        SELECT 'cml_' || id, id, company_id, 1, 'Goodwill', 1, total_minor / 100.0, total_minor, 0, 0,
               'quantity', false FROM memos WHERE company_id = :co""",
    ),
    (
        "payment and memo journal entries",
        """
        INSERT INTO journal_entries (id, company_id, date, source_type, source_id, kind, currency,
                                     functional_currency, exchange_rate, description, created_at)
        SELECT 'je_' || id, company_id, received_on, 'payment', id, 'post', 'USD', 'USD', 1, 'Payment ' || number,
               now() FROM payments WHERE company_id = :co
        UNION ALL
        SELECT 'je_' || id, company_id, issue_date, 'credit_memo', id, 'post', 'USD', 'USD', 1,
               'Credit memo ' || number, now() FROM memos WHERE company_id = :co""",
    ),
    (
        "payment and memo journal lines",
        """
        INSERT INTO journal_lines (entry_id, company_id, line_no, account_code, debit_minor, credit_minor,
                                   functional_debit_minor, functional_credit_minor, customer_id, entry_date)
        SELECT 'je_' || id, company_id, 1, '1100', amount_minor, 0, amount_minor, 0, NULL, received_on
        FROM payments WHERE company_id = :co
        UNION ALL
        SELECT 'je_' || id, company_id, 2, '1200', 0, amount_minor, 0, amount_minor, customer_id, received_on
        FROM payments WHERE company_id = :co
        UNION ALL
        SELECT 'je_' || id, company_id, 1, '6100', total_minor, 0, total_minor, 0, NULL, issue_date
        FROM memos WHERE company_id = :co
        UNION ALL
        SELECT 'je_' || id, company_id, 2, '1200', 0, total_minor, 0, total_minor, customer_id, issue_date
        FROM memos WHERE company_id = :co""",
    ),
    (
        "customer running totals",
        """
        UPDATE customers c SET balance_minor = s.bal FROM (
            SELECT customer_id, sum(debit_minor - credit_minor) AS bal FROM journal_lines
            WHERE company_id = :co AND account_code = '1200' GROUP BY customer_id) s
        WHERE c.id = s.customer_id AND c.company_id = :co;
        UPDATE customers c SET available_credit_minor = s.av FROM (
            SELECT customer_id, sum(total_minor - amount_applied_minor - amount_refunded_minor) AS av FROM memos
            WHERE company_id = :co AND kind = 'credit' AND status = 'posted' GROUP BY customer_id) s
        WHERE c.id = s.customer_id AND c.company_id = :co;
        UPDATE number_sequences SET next_value = :n + 1 WHERE company_id = :co AND doc_type = 'invoice';
        UPDATE number_sequences SET next_value = :m + 1 WHERE company_id = :co AND doc_type = 'credit_memo';
        UPDATE number_sequences SET next_value = :c + 1 WHERE company_id = :co AND doc_type = 'payment'""",
    ),
]


def fresh_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def load(db: Database, customers: int, invoices: int, memos: int) -> str:
    with db.uow() as uow:
        company_id = create_company(uow, slug="bench", name="Bench Co").id
    params = {"co": company_id, "c": customers, "n": invoices, "m": memos}
    started = time.perf_counter()
    for label, sql in LOAD:
        t = time.perf_counter()
        with db.engine.begin() as conn:
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})
        print(f"  loaded {label:34s} {time.perf_counter() - t:7.1f} s", flush=True)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        t = time.perf_counter()
        conn.execute(text("VACUUM ANALYZE"))
        print(f"  vacuum analyze                     {time.perf_counter() - t:7.1f} s")
    print(f"load total {time.perf_counter() - started:.1f} s")
    return company_id


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return (
        f"median {statistics.median(ordered):8.2f} ms  p95 {p95:8.2f} ms  max {ordered[-1]:8.2f} ms  (n={len(ordered)})"
    )


def open_pairs(db: Database, company_id: str, per_customer: int) -> list[tuple[str, list[str]]]:
    """(memo with credit left, up to ``per_customer`` open invoices) for each customer."""
    with db.engine.connect() as conn:
        memos: dict[str, str] = {
            customer_id: memo_id
            for customer_id, memo_id in conn.execute(
                text("""
            SELECT DISTINCT ON (customer_id) customer_id, id FROM memos
            WHERE company_id = :co AND kind = 'credit' AND status = 'posted'
              AND total_minor - amount_applied_minor - amount_refunded_minor >= 1000
            ORDER BY customer_id, id"""),
                {"co": company_id},
            )
        }
        invoices: dict[str, list[str]] = {}
        for customer_id, invoice_id in conn.execute(
            text("""
            SELECT customer_id, id FROM (
                SELECT customer_id, id, row_number() OVER (PARTITION BY customer_id ORDER BY id) AS rn
                FROM invoices WHERE company_id = :co AND amount_paid_minor = 0) x
            WHERE rn <= :k"""),
            {"co": company_id, "k": per_customer},
        ):
            invoices.setdefault(customer_id, []).append(invoice_id)
    return [(memos[c], invoices[c]) for c in sorted(memos) if c in invoices]


def run_applications(
    db: Database, company_id: str, jobs: list[tuple[str, list[str]]], threads: int, amount: str = "0.10"
) -> tuple[int, float]:
    """Each job is one transaction applying one memo to its invoices (one allocation per invoice)."""
    actor = system_actor(company_id, "bench")
    chunks = [jobs[i::threads] for i in range(threads)]
    errors: list[BaseException] = []

    def work(chunk: list[tuple[str, list[str]]]) -> None:
        try:
            for memo_id, invoice_ids in chunk:
                with db.uow() as uow:
                    apply_credit(
                        uow,
                        actor,
                        source_type="credit_memo",
                        source_id=memo_id,
                        allocations=[AllocationInput("invoice", i, amount) for i in invoice_ids],
                    )
        except BaseException as exc:  # report, do not hide
            errors.append(exc)

    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return sum(len(j[1]) for j in jobs), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--memos", type=int, default=200_000)
    parser.add_argument("--applications", type=int, default=3000)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data (company slug 'bench')")
    args = parser.parse_args()

    if not args.reuse:
        fresh_database(args.url)
    db = Database(args.url)
    migrate.upgrade(db.engine)
    with db.uow(readonly=True) as uow:
        company_id = uow.companies.id_for_slug("bench")
    if company_id is None:
        print(f"loading {args.customers:,} customers, {args.invoices:,} invoices, {args.memos:,} credit memos")
        company_id = load(db, args.customers, args.invoices, args.memos)
    actor = system_actor(company_id, "bench")
    with db.engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t} WHERE company_id = :co"), {"co": company_id}).scalar()
            for t in ("customers", "invoices", "memos", "payments", "applications", "journal_lines")
        }
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    rng = random.Random(7)
    customer_ids = [f"cus_b{rng.randrange(args.customers)}" for _ in range(1000)]

    def balance_read(cid: str) -> None:
        with db.uow(readonly=True) as uow:
            get_customer(uow, actor, cid).balance  # noqa: B018

    print("customer balance read (a unit of work + one primary-key select):")
    it = iter(customer_ids)
    print("  " + summary(timed(lambda: balance_read(next(it)), 1000)))

    print(f"AR aging as of {AS_OF} over all open invoices, debit memos and credits:")
    result: dict[str, Any] = {}  # each timed step's last result, to print

    def aging_run() -> None:
        with db.uow(readonly=True) as uow:
            result["aging"] = ar_aging(uow, actor, as_of=AS_OF)

    print("  " + summary(timed(aging_run, 5)))
    [total] = result["aging"].totals
    print(
        f"  {len(result['aging'].rows):,} customer rows; {total.open_documents:,} open documents; "
        f"total due {total.total_due}; unapplied credit {total.unapplied_credit}"
    )

    print("customer statement, 2024-01-01..2025-12-31 (about 100 invoices, 20 memos, 1 payment per customer):")
    it2 = iter(customer_ids)

    def statement() -> None:
        with db.uow(readonly=True) as uow:
            result["st"] = customer_statement(uow, actor, next(it2), start="2024-01-01", end="2025-12-31")

    print("  " + summary(timed(statement, 20)))
    print(f"  last statement: {len(result['st'].lines)} lines, closing {result['st'].closing_balance}")

    pairs = open_pairs(db, company_id, 10)
    n = min(args.applications, len(pairs))
    print(f"applications (0.10 each, one memo and invoice per customer, {n} transactions per run):")
    singles = [(memo_id, invs[:1]) for memo_id, invs in pairs]
    for threads in (1, 4):
        jobs = singles[:n] if threads == 1 else singles[n : 2 * n]
        count, elapsed = run_applications(db, company_id, jobs, threads)
        print(
            f"  {threads} thread(s), 1 allocation per transaction: {count / elapsed:8.0f} applications/s "
            f"({count} in {elapsed:.2f} s)"
        )
    for threads in (1, 4):
        start = 2 * n + (0 if threads == 1 else n // 10)
        batch_jobs = [(memo_id, invs) for memo_id, invs in pairs[start : start + n // 10]]
        count, elapsed = run_applications(db, company_id, batch_jobs, threads)
        print(
            f"  {threads} thread(s), 10 allocations per transaction: {count / elapsed:8.0f} applications/s "
            f"({count} in {elapsed:.2f} s)"
        )

    print("trial balance (functional, all entries):")

    def tb() -> None:
        with db.uow(readonly=True) as uow:
            result["tb"] = trial_balance(uow, actor)

    print("  " + summary(timed(tb, 3)) + f"  balanced={result['tb'].balanced}")
    print("reconcile (entries balance, AR = balances, running totals = records):")

    def rec() -> None:
        with db.uow(readonly=True) as uow:
            result["rec"] = reconcile(uow, actor)

    print("  " + summary(timed(rec, 1)) + f"  ok={result['rec'].ok} {list(result['rec'].problems)[:3]}")


if __name__ == "__main__":
    main()
