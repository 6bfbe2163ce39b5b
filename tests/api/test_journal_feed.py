"""The GL export feed (issue 13 item 2): GET /v1/journal-entries?after=CURSOR hands out entries in posting order
(the export sequence the sealer assigns after commit), each exactly once, even while others post; an entry
committed late by a slower transaction comes after the ones already handed out, never skipped."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from creditmemo.domain.inputs import InvoiceLineInput
from creditmemo.services.actors import Actor, system_actor
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.settlement.payments import record_payment
from creditmemo.store.sealer import seal_pending
from creditmemo.store.uow import Database
from tests.api.conftest import Tenant, assert_problem


def drain(tenant: Tenant, cursor: str = "start", limit: int = 3) -> tuple[list[dict[str, Any]], str]:
    seen: list[dict[str, Any]] = []
    while True:
        page = tenant.ok(tenant.get(f"/v1/journal-entries?after={cursor}&limit={limit}"))
        seen += page["data"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return seen, cursor


def test_the_feed_pages_in_posting_order_and_polls_with_its_cursor(tenant: Tenant, other: Tenant) -> None:
    for _ in range(3):
        tenant.invoice()
    other.invoice()  # another company's entries never show
    entries, cursor = drain(tenant, limit=2)
    assert len(entries) == 3
    assert [e["sequence"] for e in entries] == [1, 2, 3]
    assert all(e["source_type"] == "invoice" for e in entries)
    empty = tenant.ok(tenant.get(f"/v1/journal-entries?after={cursor}"))
    assert (empty["data"], empty["has_more"], empty["next_cursor"]) == ([], False, cursor)
    tenant.invoice()
    more, _ = drain(tenant, cursor)
    assert [e["sequence"] for e in more] == [4]
    assert_problem(tenant.get("/v1/journal-entries?after=bm90LWEtY3Vyc29y"), 422, "validation_error", "after")


@pytest.mark.postgres_only
def test_an_entry_committed_late_is_handed_out_after_not_skipped(db: Database, tenant: Tenant) -> None:
    actor = system_actor(tenant.company_id, "test")
    with db.uow() as uow:
        customer = create_customer(uow, actor, name="Slow", currency="USD")
    slow = db.uow()
    slow.__enter__()
    try:  # the slow transaction writes its entry first (earlier created_at and id) but commits last
        issue_invoice(
            slow,
            actor,
            customer_id=customer.id,
            currency="USD",
            issue_date="2026-03-02",
            lines=[InvoiceLineInput("x", "1", "10.00")],
        )
        with db.uow() as uow:  # a faster one commits meanwhile (a payment: no shared counter)
            record_payment(
                uow,
                actor,
                customer_id=customer.id,
                amount="5.00",
                currency="USD",
                received_on="2026-03-03",
                method="wire",
            )
        first, cursor = drain(tenant)
        assert [e["source_type"] for e in first] == ["payment"]
    finally:
        slow.__exit__(None, None, None)
    later, _ = drain(tenant, cursor)
    assert [e["source_type"] for e in later] == ["invoice"]


@pytest.mark.postgres_only
def test_every_entry_exactly_once_while_others_post(db: Database, tenant: Tenant) -> None:
    actor: Actor = system_actor(tenant.company_id, "test")
    with db.uow() as uow:
        customers = [create_customer(uow, actor, name=f"C{i}", currency="USD").id for i in range(4)]
    errors: list[BaseException] = []

    def write(k: int) -> None:
        try:
            for n in range(12):
                with db.uow() as uow:
                    if n % 3:
                        record_payment(
                            uow,
                            actor,
                            customer_id=customers[k],
                            amount="1.00",
                            currency="USD",
                            received_on="2026-03-03",
                            method="wire",
                        )
                    else:
                        issue_invoice(
                            uow,
                            actor,
                            customer_id=customers[k],
                            currency="USD",
                            issue_date="2026-03-02",
                            lines=[InvoiceLineInput("x", "1", "10.00")],
                        )
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    seen: list[str] = []
    cursor = "start"
    while True:
        finished = not any(t.is_alive() for t in threads)
        if finished:
            seal_pending(db)  # whatever a writer committed and has not sequenced yet
        page = tenant.ok(tenant.get(f"/v1/journal-entries?after={cursor}&limit=5"))
        seen += [e["id"] for e in page["data"]]
        cursor = page["next_cursor"]
        if finished and not page["has_more"] and not page["data"]:
            break
    for t in threads:
        t.join()
    assert not errors
    assert len(seen) == len(set(seen)) == 48  # 4 writers x 12 documents, each one entry: none skipped, none twice
    everything = tenant.ok(tenant.get("/v1/journal-entries?limit=100"))["data"]
    assert sorted(seen) == sorted(e["id"] for e in everything)
