"""Credits created without a clerk typing them (seed 000): the prorated credit of a mid-period downgrade and
the SLA outage credit. The amount comes from domain/proration.py; the memo is then built, checked (rules 1
and 2), numbered, posted or submitted and audited exactly like a memo from an invoice (services/memos/
create.py), with the computation kept on the memo and in its audit event.

Locks (docs/CONCURRENCY.md): an SLA credit first takes the incident's advisory lock (step 0: two requests
for one incident run one after the other, so the second finds the first's memo), then, like any create,
the invoice when it posts (step 2) and the number last."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from creditmemo.domain.documents import Invoice, InvoiceLine, Memo, MemoKind, MemoSource
from creditmemo.domain.errors import DomainError, NotFoundError, ValidationFailedError
from creditmemo.domain.inputs import CreditLineInput
from creditmemo.domain.money import parse_decimal
from creditmemo.domain.parsing import parse_date
from creditmemo.domain.proration import SlaPolicy, prorate_downgrade, sla_credit
from creditmemo.domain.settlement import Party
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.services.memos import build
from creditmemo.services.memos.create import create_new
from creditmemo.services.settings import load_sla_policy
from creditmemo.services.settlement import account_credit
from creditmemo.store.locking import lock_key
from creditmemo.store.uow import UnitOfWork

PRORATION_REASON = "downgrade_proration"
SLA_REASON = "sla_credit"
MAX_REFERENCE = 200


class DuplicateIncidentError(DomainError):
    """An SLA credit for this incident and customer exists already."""

    code = "duplicate_incident"


def _no_line(invoice_line_id: object) -> NotFoundError:
    error = NotFoundError("invoice_line", str(invoice_line_id))
    error.field = "invoice_line_id"
    return error


def _line(invoice: Invoice, invoice_line_id: object) -> InvoiceLine:
    line = invoice.line(invoice_line_id) if isinstance(invoice_line_id, str) else None
    if line is None:
        raise _no_line(invoice_line_id)
    return line


def _reference(value: object, field: str, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_REFERENCE:
        raise ValidationFailedError.single(
            field, f"Text of 1 to {MAX_REFERENCE} characters.", "required" if value is None else "invalid"
        )
    return value.strip()


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailedError.single(field, "Must be true or false.", "invalid")
    return value


def _credit(
    uow: UnitOfWork,
    actor: Actor,
    invoice: Invoice,
    line: InvoiceLine,
    *,
    net: Any,
    covers: tuple[date, date],
    reason_code: str,
    computation: dict[str, Any],
    memo_text: str,
    reference: str | None,
    incident_reference: str | None,
    apply_to_next_invoice: bool,
    post: bool,
    next_invoices: list[Party] | None,
    preview: bool = False,
    issue_date: object = None,
) -> Memo:
    head = build.header(
        uow,
        actor,
        MemoKind.CREDIT,
        reason_code=reason_code,
        memo_text=memo_text,
        reference=reference,
        issue_date=issue_date,
        auto_apply=not apply_to_next_invoice,
        not_before=[build.invoice_bound(invoice)],
    )
    (memo_line,) = build.lines_from_invoice(invoice, [CreditLineInput(line.id, amount=str(net.amount))], restock=False)
    memo_line = replace(memo_line, service_start=covers[0], service_end=covers[1])
    memo = build.new_memo(
        actor=actor,
        kind=MemoKind.CREDIT,
        number="",
        customer_id=invoice.customer_id,
        source=MemoSource.INVOICE,
        head=head,
        currency=invoice.currency,
        rate=invoice.exchange_rate,
        lines=(memo_line,),
        invoice_id=invoice.id,
        now_=uow.now(),
    )
    memo = replace(
        memo,
        incident_reference=incident_reference,
        apply_to_next_invoice=apply_to_next_invoice,
        computation=computation,
    )
    return create_new(uow, actor, memo, post=post, invoice=invoice, next_invoices=next_invoices)


def _lock(
    uow: UnitOfWork,
    actor: Actor,
    invoice_id: str,
    *,
    posting: bool,
    next_invoice: bool,
    issued_from: date,
    unlocked: Invoice | None = None,
) -> tuple[Invoice, list[Party] | None]:
    """The credited invoice, locked when the credit is posted at once; a "next invoice" credit posted at once
    also locks the open invoices it goes to, with its own, in id order (step 2). ``unlocked``: the invoice
    as already read without a lock, if the caller has it."""
    if not (posting and next_invoice):
        return uow.invoices.get(actor.company_id, invoice_id, for_update=posting), None
    if unlocked is None:  # whose open invoices to lock with it
        unlocked = uow.invoices.get(actor.company_id, invoice_id)
    own, targets = account_credit.lock_next_invoices(
        uow, actor.company_id, unlocked.customer_id, unlocked.currency, issued_from, invoice_id
    )
    assert own is not None
    return own, targets


def create_proration_credit(
    uow: UnitOfWork,
    actor: Actor,
    invoice_id: str,
    *,
    invoice_line_id: object,
    effective_date: object,
    new_quantity: object = None,
    new_unit_price: object = None,
    apply_to_next_invoice: object = False,
    post: object = False,
    external_reference: object = None,
    preview: bool = False,
    issue_date: object = None,
) -> Memo:
    """A credit for the unused days of a downgraded subscription line (reason downgrade_proration).
    ``preview``: the memo that would be created, nothing written (the web form shows it as the user types).
    ``issue_date``: the memo's date (default today, or the invoice's when later), e.g. the downgrade's own day."""
    authorize(actor, Permission.CREATE_MEMO)
    posting, next_invoice = _flag(post, "post"), _flag(apply_to_next_invoice, "apply_to_next_invoice")
    posting = posting and not preview
    if posting:
        authorize(actor, Permission.POST_MEMO)
    effective = parse_date(effective_date, "effective_date")
    quantity = None if new_quantity is None else parse_decimal(new_quantity, "new_quantity", max_places=6)
    price = None if new_unit_price is None else parse_decimal(new_unit_price, "new_unit_price", max_places=6)
    reference = _reference(external_reference, "external_reference", required=False)
    invoice, targets = _lock(uow, actor, invoice_id, posting=posting, next_invoice=next_invoice, issued_from=effective)
    line = _line(invoice, invoice_line_id)
    proration = prorate_downgrade(line, effective_date=effective, new_quantity=quantity, new_unit_price=price)
    change = f"{line.quantity} to {quantity}" if quantity is not None else f"{line.unit_price} to {price} a unit"
    computation = {
        "kind": "proration",
        "invoice_line_id": line.id,
        "effective_date": str(effective),
        "new_quantity": None if quantity is None else str(quantity),
        "new_unit_price": None if price is None else str(price),
        **proration.explain(),
    }
    return _credit(
        uow,
        actor,
        invoice,
        line,
        net=proration.net,
        covers=proration.covers,
        reason_code=PRORATION_REASON,
        computation=computation,
        reference=reference,
        incident_reference=None,
        apply_to_next_invoice=next_invoice,
        post=posting,
        next_invoices=targets,
        memo_text=(
            f"Downgrade of {line.description} ({change}) from {effective}: {proration.unused_days} of "
            f"{proration.days_in_period} days unused."
        ),
        issue_date=issue_date,
    )


def create_sla_credit(
    uow: UnitOfWork,
    actor: Actor,
    customer_id: str,
    *,
    invoice_line_id: object,
    outage_minutes: object,
    incident_reference: object,
    apply_to_next_invoice: object = False,
    post: object = False,
    preview: bool = False,
) -> Memo:
    """A credit for an outage, from the plan's value and the SLA policy (reason sla_credit). One per incident
    and customer: a second request for the same incident is duplicate_incident, naming the first memo.
    ``preview``: the memo that would be created, nothing written."""
    authorize(actor, Permission.CREATE_MEMO)
    posting, next_invoice = _flag(post, "post"), _flag(apply_to_next_invoice, "apply_to_next_invoice")
    posting = posting and not preview
    if posting:
        authorize(actor, Permission.POST_MEMO)
    incident = _reference(incident_reference, "incident_reference", required=True)
    assert incident is not None
    if not isinstance(invoice_line_id, str):
        uow.customers.get(actor.company_id, customer_id)  # an unknown customer is named first
        raise ValidationFailedError.single("invoice_line_id", "The id of an invoice line.", "required")
    # Round trips count here (a bulk import runs this per row): the customer is read only when the line is
    # not theirs, to say which of the two is unknown; the incident lock goes with the incident read.
    if not preview:
        lock_key(uow.conn, "sla-incident", actor.company_id, customer_id, incident)
    first = uow.memos.by_incident(actor.company_id, customer_id, incident)
    if first is not None:
        raise DuplicateIncidentError(
            f"Incident {incident!r} of this customer is already credited by {first.number}.",
            field="incident_reference",
            memo_id=first.id,
            memo_number=first.number,
        )
    targets: list[Party] | None = None
    if posting and next_invoice:
        owner = uow.invoices.of_line(actor.company_id, invoice_line_id)
        invoice = None
        if owner is not None and owner.customer_id == customer_id:
            invoice, targets = _lock(
                uow, actor, owner.id, posting=True, next_invoice=True, issued_from=uow.now().date(), unlocked=owner
            )
    else:
        invoice = uow.invoices.of_line(actor.company_id, invoice_line_id, for_update=posting)
    if invoice is None or invoice.customer_id != customer_id:
        uow.customers.get(actor.company_id, customer_id)
        raise _no_line(invoice_line_id)
    line = _line(invoice, invoice_line_id)
    minutes = outage_minutes if isinstance(outage_minutes, int) and not isinstance(outage_minutes, bool) else None
    if minutes is None:
        raise ValidationFailedError.single("outage_minutes", "A whole number of minutes.", "invalid")
    policy: SlaPolicy = load_sla_policy(uow, actor.company_id)
    credit = sla_credit(line, outage_minutes=minutes, policy=policy)
    computation = {"kind": "sla", "invoice_line_id": line.id, "incident_reference": incident, **credit.explain()}
    uptime = credit.uptime_percent.quantize(Decimal("0.01"))
    return _credit(
        uow,
        actor,
        invoice,
        line,
        net=credit.net,
        covers=credit.covers,
        reason_code=SLA_REASON,
        computation=computation,
        reference=None,
        incident_reference=incident,
        apply_to_next_invoice=next_invoice,
        post=posting,
        next_invoices=targets,
        memo_text=(
            f"SLA credit for incident {incident}: {minutes} minutes of outage, uptime {uptime} %, "
            f"{credit.tier.credit_percent} % of {line.description}."
        ),
    )


def subscription_lines(uow: UnitOfWork, actor: Actor, customer_id: str) -> list[tuple[Invoice, InvoiceLine]]:
    """The customer's invoice lines with a service period (newest invoices first): what an SLA credit is for."""
    authorize(actor, Permission.READ)
    customer = uow.customers.get(actor.company_id, customer_id)
    found = []
    for invoice_id in uow.invoices.with_service_periods(actor.company_id, customer.id, limit=50):
        invoice = uow.invoices.get(actor.company_id, invoice_id)
        found += [(invoice, line) for line in invoice.lines if line.service_start is not None]
    return found
