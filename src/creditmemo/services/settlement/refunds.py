"""Refunds: money paid back against a credit memo's or a payment's available amount (Dr AR, Cr cash).
Money goes back only where it came in: never beyond the customer's net credit, and for a memo from an
invoice never beyond what was paid on that invoice; a controller may override with a recorded reason."""

from __future__ import annotations

from dataclasses import replace

from creditmemo.domain.errors import InvalidTransitionError, ValidationFailedError
from creditmemo.domain.ledger import reverse
from creditmemo.domain.lifecycle import Status, allowed_actions
from creditmemo.domain.money import Money, parse_amount
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.posting_rules import cash_entry
from creditmemo.domain.settlement import Party, Refund, RefundLimits, SourceType, check_refund
from creditmemo.ids import new_id
from creditmemo.services import audit, periods
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.settlement import fx
from creditmemo.services.settlement.applications import check_free
from creditmemo.services.settlement.payments import text_field
from creditmemo.store import numbering
from creditmemo.store.mapping import money
from creditmemo.store.uow import UnitOfWork


def refund(
    uow: UnitOfWork,
    actor: Actor,
    *,
    source_type: object,
    source_id: str,
    amount: object,
    method: object,
    reference: object = None,
    refunded_on: object = None,
    override_reason: object = None,
) -> Refund:
    authorize(actor, Permission.REFUND)
    reason = text_field(override_reason, "override_reason", 2000, required=False)
    if reason is not None:
        authorize(actor, Permission.OVERRIDE_REFUND_LIMIT)
    method_ = text_field(method, "method", 40, required=True)
    ref = text_field(reference, "reference", 200, required=False)
    on = uow.now().date() if refunded_on is None else parse_date(refunded_on, "refunded_on")
    # Lock order (docs/CONCURRENCY.md): the source, then the refund number counter, then the customer, whose
    # balance bounds the refund and so is read under its lock.
    if source_type == SourceType.CREDIT_MEMO:
        row = uow.applications.lock_memo(actor.company_id, source_id, "credit")
        if row["status"] != Status.POSTED:
            raise InvalidTransitionError(row["status"], "refund", allowed_actions(Status(row["status"])), "credit memo")
        cur, number, customer_id, rate = row["currency"], row["number"], row["customer_id"], row["exchange_rate"]
        available = money(row["total_minor"] - row["amount_applied_minor"] - row["amount_refunded_minor"], cur)
        invoice_id, released_on = row["invoice_id"], row["released_on"]
        bound = periods.Bound(row["issue_date"], f"{number}'s issue date")
    elif source_type == SourceType.PAYMENT:
        p = uow.payments.get(actor.company_id, source_id, for_update=True)
        cur, number, customer_id, rate = p.currency, p.number, p.customer_id, p.exchange_rate
        available, invoice_id, released_on = p.amount_available, None, p.released_on
        bound = periods.Bound(p.received_on, f"{number}'s receipt date")
    else:
        raise ValidationFailedError.single("source_type", "One of credit_memo, payment.", "invalid")
    value = parse_amount(amount, cur, "amount", positive=True)
    on = periods.check(uow, actor.company_id, "refunded_on", on, what="refund date", not_before=[bound])
    # Not before the unapplication or refund reversal that freed the amount (domain/dating.py).
    source = Party(str(source_type), source_id, number, customer_id, cur, available, rate, bound.on, released_on)
    check_free(uow, actor.company_id, on, [(source, value.to_minor(), False)], field="refunded_on", what="refund date")
    refund_number = numbering.next_number(uow.conn, actor.company_id, "refund")
    # Refunds of one customer serialise on its row: what is read after this lock is what the previous
    # refund committed (READ COMMITTED: each statement sees the latest commits).
    customer = uow.customers.get(actor.company_id, customer_id, for_update=True)
    paid_left = None
    if invoice_id is not None:
        invoice = uow.invoices.get(actor.company_id, invoice_id)
        refunded = uow.refunds.refunded_against_invoice(actor.company_id, invoice_id)
        paid_left = invoice.amount_paid - money(refunded, cur)
    limits = RefundLimits(available, -customer.balance if customer.currency == cur else Money.zero(cur), paid_left)
    overridden = check_refund(value, number, limits, override=reason is not None)
    company = uow.companies.get(actor.company_id)
    now = uow.now()
    result = Refund(
        id=new_id("rf"),
        company_id=actor.company_id,
        number=refund_number,
        source_type=SourceType(str(source_type)),
        source_id=source_id,
        customer_id=customer_id,
        amount=value,
        method=str(method_),
        reference=ref,
        refunded_on=on,
        override_reason=reason,
        created_by=actor.user_id,
        created_at=now,
    )
    uow.refunds.add(result)
    if value == available:  # the rest of the source: no functional cents may stay behind (issue 15)
        fx.clear_used_up_source(
            uow,
            company_id=actor.company_id,
            source_id=source_id,
            customer_id=customer_id,
            refund_id=result.id,
            paid_out=value,
            rate=rate,
            on=on,
            description=f"Exchange difference: refund {result.number} used up {number}",
        )
    uow.journal.add(
        cash_entry(
            company=company,
            ids=new_id,
            on=on,
            source_type="refund",
            source_id=result.id,
            customer_id=customer_id,
            amount=value,
            exchange_rate=rate,
            receipt=False,
            description=f"Refund {result.number} of {number}",
        ),
        now,
    )
    minor = value.to_minor()
    if result.source_type is SourceType.CREDIT_MEMO:
        uow.memos.adjust_settlement(actor.company_id, source_id, refunded=minor)
        uow.customers.adjust(actor.company_id, customer_id, balance=minor, available_credit=-minor)
    else:
        uow.payments.adjust(actor.company_id, source_id, refunded=minor)
        uow.customers.adjust(actor.company_id, customer_id, balance=minor)
    audit.record(
        uow,
        actor,
        "refund.created",
        "refund",
        result.id,
        {
            "number": [None, result.number],
            "source": [None, f"{source_type}:{source_id}"],
            "amount": [None, str(value.amount)],
            "currency": [None, cur],
            "method": [None, result.method],
            "reference": [None, ref],
            "refunded_on": [None, str(on)],
            "override_reason": [None, reason],
            "overridden_limits": [None, overridden],
        },
    )
    return result


def list_refunds(uow: UnitOfWork, actor: Actor, source_id: str) -> list[Refund]:
    authorize(actor, Permission.READ)
    return uow.refunds.for_source(actor.company_id, source_id)


def reverse_refund(uow: UnitOfWork, actor: Actor, refund_id: str, *, reason: object, on: object = None) -> Refund:
    """The money of a refund came back (issue 17: a returned transfer, a refund made in error): the mirror of
    its entries dated ``on``, the source's available amount and the customer's balance restored, the refund kept
    as the record, marked reversed. After it, a memo whose refunds are all reversed can be voided again."""
    authorize(actor, Permission.REFUND)
    why = text_field(reason, "reason", 2000, required=True)
    refund = uow.refunds.get(actor.company_id, refund_id)
    # Lock order (docs/CONCURRENCY.md): the credit source (step 1), then the refund itself (step 4, like an
    # application being reversed); the customer's balance is a delta written at commit.
    if refund.source_type is SourceType.CREDIT_MEMO:
        uow.applications.lock_memo(actor.company_id, refund.source_id, "credit")
    else:
        uow.payments.get(actor.company_id, refund.source_id, for_update=True)
    refund = uow.refunds.get(actor.company_id, refund_id, for_update=True)
    if refund.status != "completed":
        raise InvalidTransitionError(refund.status, "reverse", [], "refund")
    day = periods.check(
        uow,
        actor.company_id,
        "reversed_on",
        uow.now().date() if on is None else parse_date(on, "reversed_on"),
        what="reversal date",
        not_before=[periods.Bound(refund.refunded_on, f"refund {refund.number}'s date")],
    )
    for entry in uow.journal.for_source(actor.company_id, refund.id):
        if entry.kind in ("post", "fx"):
            back = reverse(entry, entry_id=new_id("je"), on=day, kind="reversal")
            uow.journal.add(replace(back, description=f"Reversal of refund {refund.number}"), uow.now())
    minor = refund.amount.to_minor()
    if refund.source_type is SourceType.CREDIT_MEMO:
        uow.memos.adjust_settlement(actor.company_id, refund.source_id, refunded=-minor, released_on=day)
        uow.customers.adjust(actor.company_id, refund.customer_id, balance=-minor, available_credit=minor)
    else:
        uow.payments.adjust(actor.company_id, refund.source_id, refunded=-minor, released_on=day)
        uow.customers.adjust(actor.company_id, refund.customer_id, balance=-minor)
    now = uow.now()
    uow.refunds.mark_reversed(refund, on=day, reason=str(why), by=actor.user_id, at=now)
    audit.record(
        uow,
        actor,
        "refund.reversed",
        "refund",
        refund.id,
        {"status": ["completed", "reversed"], "reversed_on": [None, str(day)], "reason": [None, why]},
    )
    return replace(refund, status="reversed", reversed_on=day, reversal_reason=str(why), reversed_by=actor.user_id)


def get_refund(uow: UnitOfWork, actor: Actor, refund_id: str) -> Refund:
    authorize(actor, Permission.READ)
    return uow.refunds.get(actor.company_id, refund_id)
